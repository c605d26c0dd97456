"""Normalisation used for de-duplication of customers and leads.

Company names: Unicode NFKC (full-width → half-width), case-folded, legal-form suffixes removed
(有限公司, 股份有限公司, Co., Ltd., Inc., GmbH …), punctuation and spaces removed. So
“华为技术有限公司”, “华为技术 有限公司” and “华为技术（有限公司）” all give “华为技术”, and
“ACME Co., Ltd.” and “Acme Ltd” both give “acme”.
Phones: digits only, without a leading 00 or +86 country prefix. E-mail: trimmed, lower case.
"""

import re
import unicodedata

CJK_LEGAL_SUFFIXES = sorted(
    ["股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司", "分公司"], key=len, reverse=True
)
LATIN_LEGAL_SUFFIXES = {
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "s",
    "a",
    "bv",
    "nv",
    "pte",
    "pty",
    "kk",
    "oy",
    "ab",
    "spa",
    "srl",
    "sarl",
}


def normalize_company(name: str) -> str:
    s = unicodedata.normalize("NFKC", name or "").casefold().strip()
    s = re.sub(r"[()\[\]{}（）【】]", " ", s).strip()
    changed = True
    while changed:
        changed = False
        compact = re.sub(r"[\W_]+", "", s)
        for suffix in CJK_LEGAL_SUFFIXES:
            if compact.endswith(suffix) and len(compact) > len(suffix):
                s = compact[: -len(suffix)]
                changed = True
                break
    tokens = re.sub(r"[\W_]+", " ", s).split()
    while len(tokens) > 1 and tokens[-1] in LATIN_LEGAL_SUFFIXES:
        tokens.pop()
    return "".join(tokens)


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()
