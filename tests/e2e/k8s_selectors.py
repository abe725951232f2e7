"""Label and field selectors as the Kubernetes API server reads them, for
k8s_api.py: the grammar of k8s.io/apimachinery/pkg/labels (labels.Parse:
=, ==, !=, in, notin, exists, !key, gt, lt) and pkg/fields (=, ==, !=)."""
import re


class SelectorError(ValueError):
    pass


_SPECIAL = ["!=", "==", "!", "(", ")", ",", "=", ">", "<"]
_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                     r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _tokens(text):
    """The lexer of labels.Parse: identifiers and the special symbols, blanks
    between them skipped."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
            continue
        for s in _SPECIAL:
            if text.startswith(s, i):
                out.append(s)
                i += len(s)
                break
        else:
            j = i
            while j < len(text) and not text[j].isspace() and \
                    not any(text.startswith(s, j) for s in _SPECIAL):
                j += 1
            out.append(text[i:j])
            i = j
    return out


def _is_ident(tok):
    return tok is not None and tok not in _SPECIAL


def _check_key(key):
    name = key.rsplit("/", 1)[-1]
    if not _KEY_RE.match(key) or len(name) > 63 or len(key) > 316:
        raise SelectorError("unable to parse requirement: invalid label key \"%s\"" % key)


def _check_value(v):
    if len(v) > 63 or not _VALUE_RE.match(v):
        raise SelectorError("unable to parse requirement: invalid label value: \"%s\"" % v)


def parse_label_selector(text):
    """A list of (key, op, values); op: in, notin, exists, !, gt, lt (= and ==
    are in with one value, != is notin with one)."""
    toks, pos, reqs = _tokens(text), 0, []

    def peek():
        return toks[pos] if pos < len(toks) else None

    def shown(tok):
        return "end of string" if tok is None else tok

    while pos < len(toks):
        if peek() == "!":
            pos += 1
            key = peek()
            if not _is_ident(key):
                raise SelectorError("unable to parse requirement: found '%s', expected: identifier after '!'" % shown(key))
            _check_key(key)
            pos += 1
            reqs.append((key, "!", []))
        else:
            key = peek()
            if not _is_ident(key):
                raise SelectorError("unable to parse requirement: found '%s', expected: !, identifier" % shown(key))
            _check_key(key)
            pos += 1
            op = peek()
            if op is None or op == ",":
                reqs.append((key, "exists", []))
            elif op in ("=", "==", "!="):
                pos += 1
                value = ""
                if _is_ident(peek()):
                    value = peek()
                    pos += 1
                _check_value(value)
                reqs.append((key, "notin" if op == "!=" else "in", [value]))
            elif op in ("in", "notin"):
                pos += 1
                if peek() != "(":
                    raise SelectorError("unable to parse requirement: found '%s', expected: '('" % shown(peek()))
                pos += 1
                values = []
                while True:
                    if _is_ident(peek()):
                        values.append(peek())
                        pos += 1
                    elif peek() in (",", ")"):
                        values.append("")   # labels.Parse allows an empty value
                    else:
                        raise SelectorError("unable to parse requirement: found '%s', expected: ',', ')' or identifier" % shown(peek()))
                    if peek() == ")":
                        pos += 1
                        break
                    if peek() != ",":
                        raise SelectorError("unable to parse requirement: found '%s', expected: ',', ')'" % shown(peek()))
                    pos += 1
                for v in values:
                    _check_value(v)
                reqs.append((key, op, values))
            elif op in (">", "<"):
                pos += 1
                v = peek()
                if not _is_ident(v) or not re.match(r"^-?[0-9]+$", v):
                    raise SelectorError("unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer")
                pos += 1
                reqs.append((key, "gt" if op == ">" else "lt", [v]))
            else:
                raise SelectorError("unable to parse requirement: found '%s', expected: in, notin, =, ==, !=, gt, lt" % shown(op))
        if pos < len(toks):
            if peek() != ",":
                raise SelectorError("found '%s', expected: ',' or 'end of string'" % shown(peek()))
            pos += 1
            if pos == len(toks):
                raise SelectorError("found 'end of string', expected: !, identifier")
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "in" and not (has and v in values):
            return False
        if op == "notin" and has and v in values:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op in ("gt", "lt"):
            if not has or not re.match(r"^-?[0-9]+$", v):
                return False
            n, limit = int(v), int(values[0])
            if not (n > limit if op == "gt" else n < limit):
                return False
    return True


def label_selector_reqs(sel):
    """A LabelSelector object (matchLabels, matchExpressions) as requirements."""
    reqs = [(k, "in", [v]) for k, v in sorted((sel or {}).get("matchLabels", {}).items())]
    for e in (sel or {}).get("matchExpressions", []):
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}[e["operator"]]
        reqs.append((e["key"], op, list(e.get("values", []))))
    return reqs


def parse_field_selector(text, known):
    """(field, equal?, value) for each term of a fieldSelector (=, ==, !=;
    k8s.io/apimachinery/pkg/fields); known: the fields the resource has."""
    reqs = []
    for term in [t for t in text.split(",") if t.strip()]:
        m = re.match(r"^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (text, term))
        key, op, value = m.groups()
        if key not in known:
            raise SelectorError("field label not supported: %s" % key)
        reqs.append((key, op != "!=", value))
    return reqs


def fields_match(reqs, fields):
    return all((fields.get(k) == v) == eq for k, eq, v in reqs)
