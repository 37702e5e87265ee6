#!/usr/bin/env python3
"""Assemble the one self-contained page (scripts/build-wasm calls this).

  build-page.py WEBDIR ENGINE.js ENGINE.wasm OUT.html

web/page.html gets the style, the main script, the worker (emscripten's
factory followed by web/worker.js, started from a blob: URL) and the
WebAssembly module in base64, all inline. The Content-Security-Policy is
default-src 'none' plus exactly what those need: the main script and the
style by their SHA-256, WebAssembly compilation, and a worker from blob:.
No connect-src, img-src or form-action: nothing can be fetched or sent.
"""
import base64
import hashlib
import re
import sys


def csp_hash(text):
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_safe(name, text):
    """Text that can sit inside a <script> element without ending it."""
    for bad in ("</script", "<!--"):
        if bad in text.lower():
            sys.exit(f"build-page.py: {name} contains '{bad}', which would end its <script>")
    return text


def version(webdir):
    with open(webdir + "/../configure.ac", encoding="utf-8") as f:
        m = re.search(r"AC_INIT\(\[starttls-inspect\], \[([^\]]+)\]", f.read())
    return m.group(1) if m else "unknown"


def main():
    webdir, engine_js, engine_wasm, out = sys.argv[1:5]
    read = lambda p: open(p, encoding="utf-8").read()
    style = read(webdir + "/page.css")
    main_js = inline_safe("page.js", read(webdir + "/page.js"))
    worker = inline_safe("the worker", read(engine_js) + "\n" + read(webdir + "/worker.js"))
    with open(engine_wasm, "rb") as f:
        wasm = base64.b64encode(f.read()).decode("ascii")
    csp = "; ".join([
        "default-src 'none'",
        "script-src " + csp_hash(main_js) + " 'wasm-unsafe-eval'",
        "style-src " + csp_hash(style),
        "worker-src blob:",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    page = read(webdir + "/page.html")
    for key, value in (("@CSP@", csp), ("@VERSION@", version(webdir)), ("@STYLE@", style),
                       ("@WORKER@", worker), ("@WASM@", wasm), ("@MAIN@", main_js)):
        if key not in page:
            sys.exit(f"build-page.py: {key} missing from page.html")
        page = page.replace(key, value)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main()
