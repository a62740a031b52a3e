"""Benchmarks (issue 8): scripts run by hand, figures published in docs/benchmarks.md."""
