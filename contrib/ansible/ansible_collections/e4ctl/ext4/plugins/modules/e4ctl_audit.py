#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-only

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: e4ctl_audit
short_description: Audit an ext2/3/4 filesystem with e4ctl check or delalloc audit
description:
  - Runs C(e4ctl check) (free counts and checksums of every group) or
    C(e4ctl delalloc audit) (delayed-allocation reservations against the files)
    on I(target) and maps e4ctl's fsck-style exit status onto the task
    result; 0 (clean) is ok, 4 (problems found) fails the task with the
    findings in C(problems) unless I(fail_on_problems=false), 8 (operational
    error) and 16 (usage) fail it with e4ctl's message.
  - Reads only (I(freeze) and I(sync) quiesce the filesystem for the audit);
    never reports C(changed).
version_added: "0.1.0"
author: e4ctl maintainers
options:
  target:
    description:
      - Block device, image file, or a directory of the mounted filesystem.
        C(delalloc) needs a mounted filesystem.
    type: str
    required: true
  audit:
    description:
      - Which audit to run.
    type: str
    choices: [check, delalloc]
    default: check
  freeze:
    description:
      - Freeze a mounted filesystem while it is read (C(--freeze)); the result
        of C(check) on a mounted filesystem is otherwise advisory.
    type: bool
    default: false
  sync:
    description:
      - C(delalloc) only; syncfs before judging (C(--sync)).  Excludes I(freeze).
    type: bool
    default: false
  paths:
    description:
      - C(delalloc) only; audit only these paths (the verdict is then not judged).
    type: list
    elements: path
    default: []
  fail_on_problems:
    description:
      - Fail the task when the audit finds problems (exit status 4).
    type: bool
    default: true
  executable:
    description:
      - Path of e4ctl; by default it is looked up in PATH, /sbin and /usr/sbin.
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Audit the summary counters of /srv while it is frozen
  e4ctl.ext4.e4ctl_audit:
    target: /srv
    freeze: true

- name: Look for leaked delayed-allocation reservations, report only
  e4ctl.ext4.e4ctl_audit:
    target: /srv
    audit: delalloc
    sync: true
    fail_on_problems: false
  register: da
'''

RETURN = r'''
clean:
  description: True when the audit found no problem (exit status 0).
  returned: when the audit ran
  type: bool
problems:
  description: The findings, one record each (C(findings) of e4ctl's JSON).
  returned: when the audit ran
  type: list
  elements: dict
  sample:
    - group: 3
      what: free_blocks
      expected: 7934
      found: 7
filesystem:
  description: The audit's summary record (C(filesystem) of e4ctl's JSON),
    with its C(verdict).
  returned: when the audit ran
  type: dict
files:
  description: C(delalloc) only; the files holding delayed allocations.
  returned: when audit is delalloc
  type: list
  elements: dict
exit_status:
  description:
    - e4ctl's exit status (0, 4, 8 or 16).  Not named C(rc), which Ansible
      would take for a failure whenever it is not 0.
  returned: always
  type: int
stderr:
  description: What e4ctl printed on standard error (warnings, errors).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.e4ctl.ext4.plugins.module_utils.e4ctl import (
    message, record, records, run)

FSCK_OK = 0
FSCK_PROBLEMS = 4


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type='str', required=True),
            audit=dict(type='str', choices=['check', 'delalloc'], default='check'),
            freeze=dict(type='bool', default=False),
            sync=dict(type='bool', default=False),
            paths=dict(type='list', elements='path', default=[]),
            fail_on_problems=dict(type='bool', default=True),
            executable=dict(type='path'),
        ),
        mutually_exclusive=[('freeze', 'sync')],
        supports_check_mode=True,
    )
    p = module.params
    if p['audit'] == 'check':
        if p['sync'] or p['paths']:
            module.fail_json(msg='sync and paths apply to audit=delalloc only')
        cmd = ['check']
    else:
        cmd = ['delalloc', 'audit']
    args = cmd + ['--json']
    if p['audit'] == 'delalloc':
        if p['sync']:
            args.append('--sync')
    if p['freeze']:
        args.append('--freeze')
    args += ['--', p['target']] + p['paths']

    rc, doc, out, err = run(module, args)
    result = dict(changed=False, exit_status=rc, stderr=err)
    if rc not in (FSCK_OK, FSCK_PROBLEMS) or doc is None:
        module.fail_json(msg=message(err, rc, 'e4ctl ' + ' '.join(cmd)),
                         **result)
    result.update(clean=rc == FSCK_OK, problems=records(doc, 'findings'),
                  filesystem=record(doc, 'filesystem') or {})
    if p['audit'] == 'delalloc':
        result['files'] = records(doc, 'files')
    if rc == FSCK_PROBLEMS and p['fail_on_problems']:
        n = len(result['problems'])
        module.fail_json(msg='%s: e4ctl %s found %d problem%s' % (
            p['target'], ' '.join(cmd), n, '' if n == 1 else 's'), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
