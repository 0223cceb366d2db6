# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-only
"""Running e4ctl and reading its JSON, shared by the e4ctl.ext4 modules.

e4ctl prints one JSON document per command.  A document is an object whose
members are arrays of records ({"plan": [{...}]}, {"filesystem": [{...}],
"findings": [...]}); older releases printed the resize plan as one bare
object.  records() and record() accept both, so the modules do not depend
on which e4ctl the host has.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


def e4ctl_path(module):
    """The e4ctl binary: the executable option, else PATH, /sbin, /usr/sbin."""
    if module.params.get('executable'):
        return module.params['executable']
    return module.get_bin_path('e4ctl', required=True,
                               opt_dirs=['/sbin', '/usr/sbin'])


def run(module, args):
    """Run e4ctl with args; return (rc, document or None, stdout, stderr)."""
    cmd = [e4ctl_path(module)] + args
    rc, out, err = module.run_command(cmd, environ_update={'LC_ALL': 'C'})
    doc = None
    if out.strip():
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
    return rc, doc, out, err


def records(doc, name):
    """The records of member name: a list of dicts (maybe empty).

    {"name": [{...}, ...]} gives the list; {"name": {...}} a list of one.
    When name is absent, a document with a single array gives that array
    (a renamed member), and a bare record (an object with scalar members,
    as the resize plan was) is its own single record.
    """
    if not isinstance(doc, dict) or not doc:
        return []
    if name in doc:
        val = doc[name]
        if isinstance(val, list):
            return [r for r in val if isinstance(r, dict)]
        if isinstance(val, dict):
            return [val]
        return []
    # A document's members are all arrays; a record has scalar members.
    if all(isinstance(v, list) for v in doc.values()):
        if len(doc) == 1:
            return [r for r in list(doc.values())[0] if isinstance(r, dict)]
        return []
    return [doc]


def record(doc, name):
    """The first record of member name, or None."""
    recs = records(doc, name)
    return recs[0] if recs else None


def message(err, rc, what):
    """e4ctl's own words from stderr, or the exit status when it said none."""
    lines = [l for l in err.splitlines() if l.strip()]
    if lines:
        return '\n'.join(lines)
    return '%s failed with exit status %d' % (what, rc)
