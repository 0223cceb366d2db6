#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-only

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: e4ctl_resize
short_description: Resize an ext4 filesystem with e4ctl
description:
  - Resizes the ext2/3/4 filesystem of I(target) to I(size) with C(e4ctl resize);
    grows it online through the kernel when it is mounted, offline through
    libext2fs when it is not; shrinks it offline only (not below e4ctl's
    minimum).
  - e4ctl's plan (C(e4ctl resize --dry-run --json)) is computed first.  When the
    filesystem already has the planned size nothing is run and the result is
    C(changed=false), so a task with I(size=max) or an absolute size is
    idempotent.  A plan that e4ctl refuses fails the task with e4ctl's message
    and the plan.
  - In check mode only the plan is computed; C(changed) says whether a run
    would grow the filesystem.
version_added: "0.1.0"
author: e4ctl maintainers
options:
  target:
    description:
      - Block device, image file, or a directory of the mounted filesystem.
    type: str
    required: true
  size:
    description:
      - C(max) (the whole device or image file), an absolute size (C(20G),
        C(5000000) blocks, C(10240M)), or C(+N) to grow by N.
      - C(+N) grows again on every run; use C(max) or an absolute size for an
        idempotent task.
    type: str
    default: max
  step:
    description:
      - Online only; grow in steps of this size (C(--step)).
    type: str
  undo:
    description:
      - Offline only; save the blocks the grow overwrites to this file for
        C(e2undo) (C(--undo)).
    type: path
  force:
    description:
      - Offline only; skip e4ctl's safety checks of the e2fsck state (C(--force)).
    type: bool
    default: false
  executable:
    description:
      - Path of e4ctl; by default it is looked up in PATH, /sbin and /usr/sbin.
    type: path
notes:
  - Online growth needs root with CAP_SYS_RESOURCE.
  - A smaller I(size) shrinks an unmounted filesystem; a mounted one, or a
    size below the minimum, fails with e4ctl's refusal and the plan.
  - The command is described in e4ctl-resize(8).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
'''

EXAMPLES = r'''
- name: Grow /srv to the whole of its (already extended) volume
  e4ctl.ext4.e4ctl_resize:
    target: /srv
    size: max

- name: Grow an unmounted image to 20 GiB, keeping an undo file
  e4ctl.ext4.e4ctl_resize:
    target: /var/lib/images/data.img
    size: 20G
    undo: /var/backups/data.e2undo

- name: Show what would happen
  e4ctl.ext4.e4ctl_resize:
    target: /dev/vg0/data
    size: max
  check_mode: true
  register: plan
'''

RETURN = r'''
plan:
  description: e4ctl's plan (C(e4ctl resize --json)), one record.
  returned: always, when e4ctl produced one
  type: dict
  sample:
    device: /dev/vdb
    mountpoint: /srv
    method: online, EXT4_IOC_RESIZE_FS
    block_size: 4096
    old_blocks: 2621440
    new_blocks: 5242880
    refusals: []
old_size:
  description: Bytes before the grow.
  returned: when a plan was made
  type: int
new_size:
  description: Bytes after the grow (the planned size in check mode).
  returned: when a plan was made
  type: int
refusals:
  description: Every reason e4ctl gave for refusing, as in the plan.
  returned: when a plan was made
  type: list
  elements: str
rc:
  description: e4ctl's exit status (of the grow, or of the plan when no grow ran).
  returned: always
  type: int
stderr:
  description: What e4ctl printed on standard error (refusals, notes).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.e4ctl.ext4.plugins.module_utils.e4ctl import (
    message, record, run)


def build_args(p, dry_run):
    args = ['resize', '--json']
    if dry_run:
        args.append('--dry-run')
    if p['step']:
        args += ['--step', p['step']]
    if p['undo']:
        args += ['--undo', p['undo']]
    if p['force']:
        args.append('--force')
    return args + ['--', p['target'], p['size']]


def describe(plan, blocks):
    return '%d blocks of %d bytes (%d bytes)\n' % (
        blocks, plan['block_size'], blocks * plan['block_size'])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type='str', required=True),
            size=dict(type='str', default='max'),
            step=dict(type='str'),
            undo=dict(type='path'),
            force=dict(type='bool', default=False),
            executable=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params

    rc, doc, out, err = run(module, build_args(p, True))
    plan = record(doc, 'plan')
    result = dict(changed=False, rc=rc, stderr=err)
    if plan is not None:
        result.update(plan=plan, refusals=plan.get('refusals') or [],
                      old_size=plan['old_blocks'] * plan['block_size'],
                      new_size=plan['new_blocks'] * plan['block_size'])
    if rc != 0 or plan is None:
        module.fail_json(msg=message(err, rc, 'e4ctl resize --dry-run'),
                         **result)

    result['changed'] = plan['new_blocks'] != plan['old_blocks']
    if module._diff:
        result['diff'] = dict(before=describe(plan, plan['old_blocks']),
                              after=describe(plan, plan['new_blocks']),
                              before_header=p['target'],
                              after_header=p['target'])
    if module.check_mode or not result['changed']:
        module.exit_json(**result)

    rc, doc, out, err = run(module, build_args(p, False))
    result.update(rc=rc, stderr=err)
    done = record(doc, 'plan')
    if done is not None:
        result.update(plan=done, refusals=done.get('refusals') or [],
                      new_size=done['new_blocks'] * done['block_size'])
    if rc != 0:
        module.fail_json(msg=message(err, rc, 'e4ctl resize'), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
