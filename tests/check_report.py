#!/usr/bin/env python3
"""Checks a host report: the HTML is well formed (every element closed in
order), it fetches and runs nothing (no script, image or event handler),
every inline SVG parses as XML, and the charts have one point per
generation. Each chart's axes read right: numbers along x at a regular
round step, evenly placed; y ticks at a round step with the same
decimals, evenly placed, and a task's scores inside its y axis and
filling at least 40% of it. Offline there is no empty spend chart but a
line saying "offline". Every link resolves: a #fragment to an element of
the page, anything else to a file beside the report.

With --browser CHROMIUM, the page is also opened in the browser, with a
page of its own around it (frames of the report, and a script that
measures them), dumped with --dump-dom: one link of each kind is
followed, and what it points at must be shown (a <details> holding it
opened); no two labels of an axis and no two nodes of the family tree
overlap as laid out.

Prints a JSON summary; exits 1 on a problem.

usage: check_report.py REPORT.html [--browser CHROMIUM]
"""
import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "input", "hr", "link", "col", "area", "base", "source", "wbr"}
NS = "{http://www.w3.org/2000/svg}"


class Checker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.ids, self.hrefs = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        self.check_attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.check_attrs(tag, attrs)

    def check_attrs(self, tag, attrs):
        """The page runs nothing: no element has an event handler. Keeps
        ids and links."""
        for name, value in attrs:
            if name.startswith("on"):
                self.errors.append(f"<{tag}> has an event handler, {name}")
            if name == "id":
                self.ids.add(value)
            if name == "href":
                self.hrefs.append(value)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()


def is_round(step):
    """1, 2 or 5 times a power of ten."""
    if step <= 0:
        return False
    f = step / 10 ** math.floor(math.log10(step) + 1e-9)
    return any(abs(f - r) < 1e-6 for r in (1, 2, 5, 10))


def evenly(values, places, what, problems):
    """Values a constant step apart, at places a constant distance apart."""
    for name, seq in (("values", values), ("places", places)):
        steps = [b - a for a, b in zip(seq, seq[1:])]
        if steps and max(steps) - min(steps) > 1e-6 * max(1, abs(max(steps))) + (0.11 if name == "places" else 0):
            problems.append(f"{what}: {name} not evenly spaced: {seq}")


def check_chart(cid, root, problems):
    """The chart's summary; its axes' problems appended."""
    def marks(tag, cls):
        """Elements of class `cls` that are data, not the legend's keys."""
        return [e for e in root.iter(NS + tag)
                if cls in e.get("class", "").split() and "key" not in e.get("class", "").split()]
    texts = list(root.iter(NS + "text"))
    xt = [t for t in texts if t.get("class") == "tick x"]
    yt = [t for t in texts if t.get("class") == "tick y"]
    x_values = [int(t.text) for t in xt]
    evenly(x_values, [float(t.get("x")) for t in xt], f"{cid} x ticks", problems)
    if len(x_values) > 1 and not is_round(x_values[1] - x_values[0]):
        problems.append(f"{cid}: x step {x_values[1] - x_values[0]} is not a round number")
    if any(v % (x_values[1] - x_values[0]) for v in x_values[1:]) if len(x_values) > 1 else False:
        problems.append(f"{cid}: x ticks not multiples of their step: {x_values}")
    y_values = [float(t.text) for t in yt]
    y_places = [float(t.get("y")) for t in yt]
    if len(yt) < 2:
        problems.append(f"{cid}: {len(yt)} y ticks")
    else:
        evenly(y_values, y_places, f"{cid} y ticks", problems)
        if not is_round(abs(y_values[1] - y_values[0])):
            problems.append(f"{cid}: y step {y_values[1] - y_values[0]} is not a round number")
        if len({len(t.text.split(".")[1]) if "." in t.text else 0 for t in yt}) != 1:
            problems.append(f"{cid}: y labels with different decimals: {[t.text for t in yt]}")
    summary = {
        "points": len(marks("circle", "pt")),
        "task_points": len(marks("circle", "pt-task")),
        "nodes": len(marks("circle", "node")),
        "bars": len(marks("rect", "bar")),
        "edges": len(marks("line", "edge")),
        "counted": sum(int(t.text.lstrip("+")) for t in marks("text", "counted")),
        "initial_lines": len(marks("line", "initial")),
        "initial_notes": ["".join(t.itertext()).split("initial.c, as")[0].strip()
                          for t in marks("text", "initial")],
        "ticks": [t.text for t in xt],
        "y_labels": [t.text for t in yt],
        "legend": [t.text for t in texts if t.get("class") == "legend"],
        "title": next((t.text for t in texts if t.get("class") == "title"), None),
    }
    if cid.startswith("chart-task-") and len(yt) > 1:
        # tick label y is the tick's place + 4: the axis from top to foot
        top, foot = min(y_places) - 4, max(y_places) - 4
        ys = [float(c.get("cy")) for c in marks("circle", "pt-task")
              if "failed" not in c.get("class").split()]
        ys += [float(l.get("y1")) for l in marks("line", "initial")]
        if any(y < top - 0.11 or y > foot + 0.11 for y in ys):
            problems.append(f"{cid}: a score outside its axis {summary['y_labels']}")
        if ys and max(ys) - min(ys) > 0.5 and max(ys) - min(ys) < 0.4 * (foot - top):
            problems.append(f"{cid}: the scores fill {100 * (max(ys) - min(ys)) / (foot - top):.0f}% "
                            f"of the axis {summary['y_labels']}: not fitted")
    return summary


def check_links(hrefs, ids, folder, problems):
    """Every link resolves from where the report is."""
    for href in hrefs:
        if href.startswith("#"):
            if href[1:] not in ids:
                problems.append(f"link {href}: no element has that id")
        elif re.match(r"^[a-z]+:|^/", href):
            problems.append(f"link {href}: not relative to the report")
        elif not os.path.exists(os.path.join(folder, href.split("#")[0])):
            problems.append(f"link {href}: no such file beside the report")


# Runs in the browser, in the page around the report's frames: follows
# each frame's link, and measures the report as laid out.
PROBE = """
<!DOCTYPE html><html><body>%s<pre id="out"></pre><script>
function box(e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
function meet(a, b) { return a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5; }
function overlaps(doc, sel) {
  var out = [];
  doc.querySelectorAll('svg.chart').forEach(function (svg) {
    var els = Array.from(svg.querySelectorAll(sel)), bs = els.map(box);
    for (var i = 0; i < bs.length; i++) for (var j = i + 1; j < bs.length; j++)
      if (meet(bs[i], bs[j])) out.push(svg.id + ': ' + els[i].textContent + ' / ' + els[j].textContent);
  });
  return out;
}
window.addEventListener('load', function () {
  var r = {opened: {}, overlaps: []};
  document.querySelectorAll('iframe').forEach(function (f) {
    var d = f.contentDocument, frag = f.getAttribute('src').split('#')[1];
    if (!frag) {
      r.overlaps = overlaps(d, 'text.tick').concat(overlaps(d, 'circle.node'));
      return;
    }
    var t = d.getElementById(frag), closed = t && t.closest('details:not([open])');
    r.opened[frag] = !!t && !closed && t.getClientRects().length > 0;
  });
  document.getElementById('out').textContent = JSON.stringify(r);
});
</script></body></html>
"""


def check_in_browser(browser, path, hrefs, problems):
    """Follows one link of each kind, and checks the layout, in the browser."""
    kinds = {}
    for href in hrefs:
        if href.startswith("#"):
            kinds.setdefault(re.sub(r"[0-9]+$", "", href[1:]), href[1:])
    name = os.path.basename(path)
    frames = "".join(f'<iframe src="{name}#{f}" width="1100" height="600"></iframe>'
                     for f in kinds.values())
    frames += f'<iframe src="{name}" width="1100" height="600"></iframe>'
    probe = os.path.join(os.path.dirname(os.path.abspath(path)), "check_report_probe.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(PROBE % frames)
    try:
        dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                              "--allow-file-access-from-files", "--dump-dom",
                              "file://" + probe], capture_output=True, text=True,
                             timeout=60).stdout
    finally:
        os.remove(probe)
    m = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    if not m or not m.group(1):
        problems.append("the browser measured nothing")
        return {}
    found = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                       .replace("&lt;", "<").replace("&gt;", ">"))
    for frag, shown in found["opened"].items():
        if not shown:
            problems.append(f"link #{frag}: what it points at is not shown")
    problems.extend(f"overlap: {o}" for o in found["overlaps"])
    return found


def main():
    path = sys.argv[1]
    browser = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--browser" else None
    html = open(path, encoding="utf-8").read()
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
        charts[root.get("id")] = check_chart(root.get("id"), root, problems)
    said = re.search(r'<p id="spend"( class="offline")?>([^<]*)</p>', html)
    offline = said and said.group(1) and "offline" in said.group(2)
    if "chart-spend" in charts:
        if not any(float(r.get("height")) > 0 for r in ET.fromstring(
                re.search(r'<svg id="chart-spend".*?</svg>', html, re.S).group(0)).iter(NS + "rect")
                if "bar" in r.get("class", "").split() and "key" not in r.get("class", "").split()):
            problems.append("the spend chart is empty")
    elif not said or (said.group(1) and not offline):
        problems.append("no spend chart, and no line saying why (offline)")
    check_links(checker.hrefs, checker.ids, os.path.dirname(os.path.abspath(path)), problems)
    browser_found = check_in_browser(browser, path, checker.hrefs, problems) if browser else None
    summary = {"problems": problems, "charts": charts,
               "rows": len(re.findall(r"<tr class=", html)),
               "spend": "chart" if "chart-spend" in charts else "offline" if offline
               else said.group(2) if said else None,
               "links": len(checker.hrefs), "browser": browser_found}
    print(json.dumps(summary))
    sys.exit(1 if problems else 0)


main()
