#!/usr/bin/env python3
"""Checks a host report: the HTML is well formed (every element closed in
order), it fetches and runs nothing (no script, image or event handler),
every inline SVG parses as XML, and the charts have one point per
generation. Prints a JSON summary; exits 1 on a problem.

usage: check_report.py REPORT.html
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "input", "hr", "link", "col", "area", "base", "source", "wbr"}
SVG_LEAVES = {"line", "circle", "rect", "polyline", "path"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        self.check_attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.check_attrs(tag, attrs)

    def check_attrs(self, tag, attrs):
        """The page runs nothing: no element has an event handler."""
        for name, _ in attrs:
            if name.startswith("on"):
                self.errors.append(f"<{tag}> has an event handler, {name}")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()


html = open(sys.argv[1], encoding="utf-8").read()
checker = Checker()
checker.feed(html)
problems = checker.errors + [f"<{t}> never closed" for t in checker.stack]
if not html.startswith("<!DOCTYPE html>"):
    problems.append("no doctype")
if re.search(r"<script|<img|<iframe|https?://(?!www\.w3\.org/2000/svg)", html):
    problems.append("fetches or runs something")
charts = {}
for svg in re.findall(r"<svg.*?</svg>", html, re.S):
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    def marks(tag, cls):
        """Elements of class `cls` that are data, not the legend's keys."""
        return [e for e in root.iter(ns + tag)
                if cls in e.get("class", "").split() and "key" not in e.get("class", "").split()]
    charts[root.get("id")] = {
        "points": len(marks("circle", "pt")),
        "nodes": len(marks("circle", "node")),
        "bars": len(marks("rect", "bar")),
        "edges": len(marks("line", "edge")),
        "ticks": [t.text for t in root.iter(ns + "text") if t.get("class") == "tick"],
        "legend": [t.text for t in root.iter(ns + "text") if t.get("class") == "legend"],
        "y_labels": [t.text for t in root.iter(ns + "text")
                     if t.get("x") == "4"],
    }
summary = {"problems": problems, "charts": charts,
           "rows": len(re.findall(r"<tr class=", html))}
print(json.dumps(summary))
sys.exit(1 if problems else 0)
