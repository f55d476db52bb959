"""Parses Prometheus text exposition from stdin with prometheus_client's parser (the reference
implementation's Python client) and prints every sample as JSON, so the tests can check what
GET /metrics serves as a real scraper reads it. Exits non-zero when the text does not parse or a
family breaks the format's rules (a histogram without its +Inf bucket, _count or _sum, or with
buckets that decrease).
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = []
    for family in text_string_to_metric_families(text):
        samples = [
            {"name": s.name, "labels": s.labels, "value": s.value}
            for s in family.samples
        ]
        if family.type == "histogram":
            check_histogram(family.name, samples)
        families.append({"name": family.name, "type": family.type, "samples": samples})
    json.dump(families, sys.stdout)


def check_histogram(name, samples):
    series = {}
    for sample in samples:
        labels = {k: v for k, v in sample["labels"].items() if k != "le"}
        key = tuple(sorted(labels.items()))
        entry = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if sample["name"] == name + "_bucket":
            entry["buckets"].append((float(sample["labels"]["le"]), sample["value"]))
        elif sample["name"] == name + "_count":
            entry["count"] = sample["value"]
        elif sample["name"] == name + "_sum":
            entry["sum"] = sample["value"]
    for key, entry in series.items():
        buckets = sorted(entry["buckets"])
        if not buckets or not math.isinf(buckets[-1][0]):
            sys.exit(f"{name}{dict(key)}: no +Inf bucket")
        if entry["count"] is None or entry["sum"] is None:
            sys.exit(f"{name}{dict(key)}: no _count or _sum")
        counts = [count for _, count in buckets]
        if counts != sorted(counts):
            sys.exit(f"{name}{dict(key)}: bucket counts decrease")
        if counts[-1] != entry["count"]:
            sys.exit(f"{name}{dict(key)}: the +Inf bucket ({counts[-1]}) is not _count ({entry['count']})")


if __name__ == "__main__":
    main()
