"""The XSS corpus and the checks every XSS test shares (tests/browser/test_xss.py and the
fillers features keep beside their code: ``plugins/<name>/tests/xss.py``,
``tests/<feature>/xss.py``)."""

from __future__ import annotations

# Each payload is short enough for a 100-character field and names itself (xssN), so a
# failure says which one got through.
PAYLOADS = [
    '<script>alert("xss1")</script>',
    '"><img src=x onerror=alert("xss2")>',
    "'><svg onload=alert('xss3')>",
    '<a href="javascript:alert(1)">xss4</a>',
    "[xss5](javascript:alert(5))",
    '<svg><script>alert("xss6")</script></svg>',
    '<iframe src="javascript:alert(7)">xss7',
    '<details open ontoggle=alert("xss8")>',
    '![xss9](x" onerror="alert(9))',
    "[xss10](JaVaScRiPt:alert(10))",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(11)>xss11",
    "{{ 7*7 }}{% raw %}xss12",
    "<style>*{display:none}</style>xss13",
    "[xss14](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "</textarea></title><script>alert(15)</script>xss15",
    "javascript:alert(16)//xss16",
]

DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) bad.push(`${tag}[${name}]`);
      if (["href", "src", "action", "formaction", "xlink:href", "data"].includes(name)
          && /^\\s*(javascript|vbscript|data:text)/i.test(attr.value)) {
        bad.push(`${tag}[${name}=${attr.value}]`);
      }
    }
    if (tag === "script" && !el.src) bad.push("inline script");
    // <details> is the hub's own disclosure widget; an injected one is caught by its on*
    // attribute (the corpus's <details open ontoggle=...>), like every other event handler.
    if (["iframe", "object", "embed", "svg", "math", "style"].includes(tag)) {
      bad.push(tag);
    }
  }
  return bad;
}"""


def check_page(page, url: str | None, shown: list[str]) -> list[str]:
    """Problems on ``url`` (None: the page already open); ``shown`` must appear as text
    (literally: a template expression in a payload would not survive evaluation)."""
    if url:
        page.goto(url)
    where = url or page.url
    problems = [f"{where}: injected markup in the DOM: {item}" for item in page.evaluate(DOM_CHECK)]
    text = page.evaluate(
        "document.body.innerText + ' ' + Array.from("
        "document.querySelectorAll('input, textarea')).map(e => e.value)"
        ".join(' ')"
    )
    for expected in shown:
        if expected not in text:
            problems.append(f"{where}: {expected!r} is not shown as text")
    return problems


def markers_shown(page, url: str | None, count: int = len(PAYLOADS)) -> list[str]:
    """For Markdown fields: the payloads are transformed, but each one's marker must show."""
    problems = check_page(page, url, [])
    text = page.locator("main").inner_text()
    missing = [f"xss{n}" for n in range(1, count + 1) if f"xss{n}" not in text]
    if missing:
        problems.append(f"{url or page.url}: markers not shown: {missing}")
    return problems
