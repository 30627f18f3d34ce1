"""Full-width punctuation in Chinese text (镇（街道）, not 镇(街道)): the rule, a checker and a fixer.

Chinese text takes full-width brackets, commas, colons, semicolons, exclamation and question marks
next to Han characters. The rule looks only at punctuation touching a Han character, so Latin text,
URLs, times (12:30), ``%(name)s`` placeholders and code are left alone.

    .venv/bin/python -m safeserve_dev.typography [--check]   # fix (or list) templates, strings and the .po

The checker is used by ``core/tests/test_typography.py``; the fixer rewrites string literals in
Python files (never raw strings: they are patterns), template text, and the msgids of the English
catalogue in the same way, so translations keep matching.
"""

import io
import re
import sys
import tokenize
from pathlib import Path

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
FULL = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
CLOSING = "）】」』”"
LATIN = re.compile(r"[A-Za-z]")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdfr]|\{[^{}]*\}")
KEEP = "typography: keep"  # a comment on a line whose strings must stay as written (test data)
ROOT = Path(__file__).resolve().parent.parent


def _han(text: str, i: int) -> bool:
    return 0 <= i < len(text) and bool(HAN.match(text[i]))


def _placeholder_at(text: str, i: int) -> bool:
    """``text[i]`` is the "(" of a ``%(name)s`` placeholder."""
    return i > 0 and text[i - 1] == "%"


def _matching_paren(text: str, i: int) -> int | None:
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == "(" and not _placeholder_at(text, j):
            depth += 1
        elif c == ")":
            if j > 0 and _inside_placeholder(text, j):
                continue
            depth -= 1
            if depth == 0:
                return j
    return None


def _inside_placeholder(text: str, j: int) -> bool:
    """``text[j]`` is the ")" closing a ``%(name)`` placeholder."""
    k = text.rfind("%(", 0, j)
    return k != -1 and re.fullmatch(r"%\(\w+", text[k:j]) is not None


def fix_text(text: str) -> str:
    """The text with half-width punctuation that touches Han characters made full-width."""
    if not HAN.search(text):
        return text
    chars = list(text)
    for i, c in enumerate(text):
        if c == "(" and not _placeholder_at(text, i):
            j = _matching_paren(text, i)
            if j is None:
                continue
            if _han(text, i - 1) or _han(text, i + 1) or _han(text, j - 1) or _han(text, j + 1):
                chars[i], chars[j] = "（", "）"
        elif c in ",:;":
            # "天,重大", "%(v)s,首次", "（…）,": Han (or a closing full-width mark) before, or Han after
            # (not "12:30", not "a,b").
            # Followed by a space it is Latin punctuation ("column 规模: 列重复出现", composed by code).
            before = _han(text, i - 1) or (i > 0 and chars[i - 1] in CLOSING)
            spaced = text[i + 1 : i + 2] == " "
            if not spaced and (before or (_han(text, i + 1) and not text[i - 1 : i].isdigit())):
                chars[i] = FULL[c]
        elif c in "!?" and _han(text, i - 1):
            chars[i] = FULL[c]
    return "".join(chars)


def is_chinese(text: str) -> bool:
    """Chinese text, not English prose that names a Chinese term: at least as many Han characters
    as Latin letters (placeholders such as ``%(name)s`` not counted)."""
    text = PLACEHOLDER.sub("", text)
    return len(HAN.findall(text)) >= len(LATIN.findall(text))


def problems(text: str) -> list[str]:
    """Snippets of ``text`` where the rule wants full-width punctuation (empty when it is clean)."""
    fixed = fix_text(text)
    if fixed == text:
        return []
    return [text[max(0, i - 6) : i + 6] for i, (a, b) in enumerate(zip(text, fixed, strict=True)) if a != b]


# --- the fixer ------------------------------------------------------------------------------------


def fix_python(source: str) -> str:
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    edits = []
    previous = None
    for tok in tokens:
        statement_start = previous is None or previous.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok
        if tok.type != tokenize.STRING or not HAN.search(tok.string) or KEEP in tok.line:
            continue
        prefix = re.match(r"[A-Za-z]*", tok.string).group(0).lower()
        if "r" in prefix or statement_start:
            continue  # a regular expression or a path; a docstring (English prose naming Chinese terms)
        if not is_chinese(tok.string):
            continue
        fixed = fix_text(tok.string)
        if fixed != tok.string:
            edits.append((tok.start, tok.end, fixed))
    for (srow, scol), (erow, ecol), fixed in reversed(edits):
        head = lines[srow - 1][:scol]
        tail = lines[erow - 1][ecol:]
        lines[srow - 1 : erow] = [head + fixed + tail]
    return "".join(lines)


def _fix_po_block(block: str) -> str:
    """The block with its msgid (and msgid_plural) fixed as the source string is: joined, then fixed."""
    out, key, parts = [], None, []

    def flush():
        if key is None:
            return
        raw = "".join(parts)
        fixed = fix_text(raw) if is_chinese(raw) else raw
        if fixed == raw:
            out.extend(original)
        else:
            out.append(f'{key} "{fixed}"')

    original: list[str] = []
    for line in block.split("\n"):
        if line.startswith(("msgid ", "msgid_plural ")):
            flush()
            key, value = line.split(" ", 1)
            parts, original = [value[1:-1]], [line]
        elif line.startswith('"') and key is not None:
            parts.append(line[1:-1])
            original.append(line)
        else:
            flush()
            key, parts, original = None, [], []
            out.append(line)
    flush()
    return "\n".join(out)


def fix_po(text: str) -> str:
    """Fix the msgids as their source strings are fixed; a block whose msgid now equals an earlier
    one's (the same message once written both ways) is dropped: msgfmt refuses duplicates."""
    fixed = "\n\n".join(_fix_po_block(block) for block in text.split("\n\n"))
    blocks, seen = [], set()
    for block in fixed.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        key = "\n".join(lines[: next((i for i, line in enumerate(lines) if line.startswith("msgstr")), len(lines))])
        if "msgid" in key and key in seen:
            continue
        seen.add(key)
        blocks.append(block)
    return "\n\n".join(blocks)


def source_files():
    for base in ("safeserve", "safeserve_dev"):
        for path in sorted((ROOT / base).rglob("*")):
            if "migrations" in path.parts or "vendor" in path.parts or path.name == "typography.py":
                continue
            if path.suffix in (".py", ".html", ".js", ".txt"):
                yield path
    yield ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def fixed_text(path: Path) -> tuple[str, str]:
    """(current text, text with the rule applied) of one file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return text, fix_python(text)
    if path.suffix == ".po":
        return text, fix_po(text)
    return text, fix_text(text)


def files_needing_fix() -> list[Path]:
    return [path for path in source_files() if (pair := fixed_text(path))[0] != pair[1]]


def main(argv):
    check = "--check" in argv
    changed = []
    for path in source_files():
        text, fixed = fixed_text(path)
        if fixed != text:
            changed.append(path)
            if not check:
                path.write_text(fixed, encoding="utf-8")
    for path in changed:
        print(path.relative_to(ROOT))
    print(f"{len(changed)} file(s) {'need fixing' if check else 'fixed'}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
