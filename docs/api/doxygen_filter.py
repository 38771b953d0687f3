# SPDX-License-Identifier: Apache-2.0
"""Doxygen input filter for include/tapegrad/tapegrad.h (docs/api/Doxyfile.in).

The header is written for people reading it: plain C comments, aligned like text. This turns
them into Doxygen comments as Doxygen reads the file, without changing the header:
  - the first comment of the file (after its SPDX license line) documents the file;
  - a comment that ends on the line before a declaration (a function, typedef, struct, enum
    or #define) documents that declaration;
  - a comment after code on the same line (an enum value, a field, a #define) documents it;
  - a structure's field without a comment of its own is described in the structure's comment
    (the header describes option structures as a whole), and says so.
Comment text is kept verbatim, so nothing in it is taken for Doxygen markup. Every other
comment (section banners, notes between declarations) stays an ordinary comment.
Usage (by Doxygen): python3 doxygen_filter.py <file>"""
import re
import sys

DECLARATION = re.compile(r"^\s*(TG_API\b|typedef\b|#define\b|struct\b|enum\b|[A-Za-z_][\w ]*[\w*]\s+\**\w+\s*[;\[=])")
STRUCT_BEGIN = re.compile(r"^typedef struct \w+ \{")
FIELD = re.compile(r"^\s+[\w][\w\s\*]*\b\w+;\s*$")
TRAILING = re.compile(r"^(\s*\S.*?)/\*\s?(.*?)\s*\*/\s*$")


def verbatim(lines, marker):
    """The comment `lines` (its whole text, /* through */) as a Doxygen comment."""
    text = "\n".join(lines)
    body = text[text.index("/*") + 2:text.rindex("*/")]
    body = "\n".join(re.sub(r"^\s*\* ?", "", line) for line in body.split("\n"))
    body = body.strip("\n").lstrip(" ")
    return "/%s @verbatim\n%s\n@endverbatim */" % (marker, body)


def filter_text(lines):
    out = []
    i = 0
    first_comment = True
    in_struct = False
    group_end = None
    while i < len(lines):
        if i == group_end:
            out.append("/**@}*/")
            group_end = None
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("/*") and not stripped.startswith("/**"):
            j = i
            while "*/" not in lines[j]:
                j += 1
            block = lines[i:j + 1]
            following = lines[j + 1] if j + 1 < len(lines) else ""
            indent = line[:len(line) - len(stripped)]
            if "SPDX-License-Identifier" in block[0]:
                out.extend(block)  # the license line is not documentation
                i = j + 1
                continue
            if first_comment:
                out.append(verbatim(block, "** @file tapegrad.h\n"))
                out.extend([""] * (len(block) - 1))
            elif DECLARATION.match(following) and not block[0].strip().startswith("/* ---"):
                # The declarations it documents: the lines up to the next blank line. Several
                # functions or macros there share it (a Doxygen member group).
                end = j + 1
                while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("/*"):
                    end += 1
                declared = lines[j + 1:end]
                group = sum(1 for d in declared if re.match(r"\s*(TG_API|#define|typedef)\b", d)) > 1
                out.append(indent + ("/**@{*/ " if group else "") + verbatim(block, "**"))
                group_end = end if group else None
            else:
                out.extend(block)
            first_comment = False
            i = j + 1
            continue
        if "/*" in line and "*/" not in line and not line.lstrip().startswith("/*"):
            j = i  # a comment after code that goes on over the next lines: join them
            while "*/" not in lines[j]:
                j += 1
            line = " ".join([line] + [l.strip() for l in lines[i + 1:j + 1]])
            out.extend([""] * (j - i))
            i = j
        m = TRAILING.match(line)
        if m and not line.lstrip().startswith("/*"):
            line = "%s/**< @verbatim %s @endverbatim */" % (m.group(1), m.group(2))
        elif in_struct and FIELD.match(line):
            line += " /**< (described with the structure) */"
        if STRUCT_BEGIN.match(line):
            in_struct = True
        elif line.startswith("}"):
            in_struct = False
        out.append(line)
        i += 1
    if group_end is not None:
        out.append("/**@}*/")
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    sys.stdout.write("\n".join(filter_text(lines)))
