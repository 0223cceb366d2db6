#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-only

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: e4ctl_info
short_description: Geometry of an ext2/3/4 filesystem and how far it can grow
description:
  - Runs C(e4ctl info --json) on I(target) and returns its record (sizes,
    features, group geometry, the device size and the online growth limit).
  - Reads only; never changes anything.
version_added: "0.1.0"
author: e4ctl maintainers
options:
  target:
    description:
      - Block device, image file, or a directory of the mounted filesystem.
    type: str
    required: true
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
- name: How far can /srv grow online?
  e4ctl.ext4.e4ctl_info:
    target: /srv
  register: srv

- name: Grow only when the device has room
  e4ctl.ext4.e4ctl_resize:
    target: /srv
  when: srv.growth.device_size > srv.growth.size
'''

RETURN = r'''
filesystem:
  description: The record of C(e4ctl info --json), keys as its column names.
  returned: success
  type: dict
  sample:
    device: /dev/vdb
    mountpoint: /srv (read-write)
    block_size: 4096
    block_count: 2621440
    free_blocks: 2500000
    group_count: 80
    device_size: 21474836480
    online_max_blocks: 5242880
    online_limit: the device has no room beyond the filesystem's 5242880 blocks
growth:
  description: The growth facts in bytes.
  returned: success
  type: dict
  contains:
    size:
      description: Bytes in the filesystem now.
      type: int
    device_size:
      description: Bytes in the device or image file.
      type: int
    online_max_size:
      description: The largest size online growth can reach now, in bytes.
      type: int
    online_limit:
      description: What stops online growth beyond that.
      type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.e4ctl.ext4.plugins.module_utils.e4ctl import (
    message, record, run)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type='str', required=True),
            executable=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    rc, doc, out, err = run(module, ['info', '--json', '--', module.params['target']])
    fs = record(doc, 'filesystems')
    if rc != 0 or fs is None:
        module.fail_json(msg=message(err, rc, 'e4ctl info'), rc=rc, stderr=err)
    bs = fs.get('block_size') or 0
    growth = dict(size=(fs.get('block_count') or 0) * bs,
                  device_size=fs.get('device_size'),
                  online_max_size=(fs.get('online_max_blocks') or 0) * bs,
                  online_limit=fs.get('online_limit'))
    module.exit_json(changed=False, filesystem=fs, growth=growth)


if __name__ == '__main__':
    main()
