#!/usr/bin/env python3
"""The longest C++ functions in some files, by counting braces.

Usage: tools/function-lengths.py [--top N] [--min LINES] FILE_OR_DIR...
  e.g. tools/function-lengths.py --top 20 runtime/src runtime/cli

A function is a brace block at namespace or class scope whose header has a parameter list
(lambdas and blocks inside a function count towards it). Its length is the lines from the
header's first line to the closing brace. Comments, strings and character literals are blanked
first; macros and unusual declarations may be missed or misnamed: it is a measure, not a parser.
"""
import argparse
import os
import re
import sys

SOURCE_EXT = (".cc", ".cpp", ".cxx", ".h", ".hpp")
# What a function header may end with between its ')' and its '{'.
QUALIFIERS = {"const", "override", "final", "noexcept", "mutable", "try", "volatile"}
NOT_NAMES = {"decltype", "alignas", "noexcept", "__attribute__", "requires", "sizeof", "if", "for", "while", "switch"}


def blank(text):
    """The text with comments and literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i + 2)
            delim = text[i + 2:open_paren]
            j = text.find(")" + delim + '"', open_paren)
            j = n if j < 0 else j + len(delim) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # a digit separator: 1'000
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def function_name(header):
    """The name before the header's parameter list, or None if the header has none."""
    header = re.sub(r"\s+", " ", header).strip()
    if re.search(r"\b(namespace|class|struct|union|enum)\b", header.split("(")[0]):
        return None
    if "=" in header.split("(")[0] or "(" not in header:
        return None
    names = []
    depth = 0
    for m in re.finditer(r"[()]", header):
        if m.group() == "(":
            if depth == 0:
                before = re.search(r"(~?[A-Za-z_][\w:]*(?:<[^()]*>)?|operator\s*\S+)\s*$", header[:m.start()])
                if before and before.group(1).split("::")[-1] not in NOT_NAMES:
                    names.append(before.group(1))
            depth += 1
        else:
            depth -= 1
    return names[0] if names else None


def functions(path):
    text = blank(open(path, encoding="utf-8", errors="replace").read())
    found = []
    stack = []  # per open brace: "scope" (namespace, class), "function", "inner", "init"
    start = 0   # where the current declaration began
    line_of = [0] * (len(text) + 1)
    line = 1
    for i, c in enumerate(text):
        line_of[i] = line
        if c == "\n":
            line += 1
    for i, c in enumerate(text):
        if c == "{":
            if any(k in ("function", "inner") for k, _, _ in stack):
                stack.append(("inner", None, 0))
                continue
            header = text[start:i]
            stripped = header.rstrip()
            last_word = re.search(r"(\w+)\s*$", stripped)
            name = function_name(header)
            if name and stripped and (stripped.endswith(")") or (last_word and last_word.group(1) in QUALIFIERS)
                                      or re.search(r"->\s*[\w:<>, *&]+$", stripped)):
                offset = start + len(header) - len(header.lstrip())
                stack.append(("function", name, line_of[offset]))
            elif name or (stripped and (stripped[-1].isalnum() or stripped[-1] in "_>") and ")" in stripped):
                stack.append(("init", None, 0))  # a brace initialiser in a member initialiser list
                continue
            elif re.search(r"=\s*$", stripped) or stripped.endswith(","):
                stack.append(("inner", None, 0))  # an aggregate initialiser
                continue
            else:
                stack.append(("scope", None, 0))
            start = i + 1
        elif c == "}":
            if not stack:
                continue
            kind, name, first = stack.pop()
            if kind == "function":
                found.append((line_of[i] - first + 1, path, first, name))
            if kind in ("function", "scope", "inner") and not any(k in ("function", "inner") for k, _, _ in stack):
                start = i + 1
        elif c == ";" and not any(k in ("function", "inner", "init") for k, _, _ in stack):
            start = i + 1
        elif c == "#" and (i == 0 or text[i - 1] == "\n") and not stack_has_body(stack):
            j = text.find("\n", i)
            start = len(text) if j < 0 else j + 1
    return found


def stack_has_body(stack):
    return any(k in ("function", "inner", "init") for k, _, _ in stack)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--top", type=int, default=10, help="how many to list (0: all)")
    parser.add_argument("--min", type=int, default=0, help="list only functions of at least this many lines")
    args = parser.parse_args()
    files = []
    for p in args.paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, f) for f in sorted(names) if f.endswith(SOURCE_EXT)]
        else:
            files.append(p)
    found = sorted((f for path in files for f in functions(path)), key=lambda f: (-f[0], f[1], f[2]))
    found = [f for f in found if f[0] >= args.min]
    for length, path, first, name in found[: args.top or None]:
        print(f"{length:5d}  {path}:{first}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
