"""Outputs: the report (table, markdown, csv, json, latex), plots, the JSON Schema, the graph, the explorer page."""
