#!/usr/bin/env bats
# The e4ctl.ext4 collection, run by ansible-playbook against this host
# (-c local) on loop images: an offline grow, check mode, idempotence,
# refusals (a shrink below the minimum; online growth, which this host's kernel refuses
# without CAP_SYS_RESOURCE), the info facts and the audits.  Each play
# saves the registered results as JSON for jq.

load ../lib
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	export ANSIBLE_COLLECTIONS_PATH=$REPO/contrib/ansible
	export ANSIBLE_LOCAL_TEMP=$BATS_TEST_TMPDIR/ansible-local
	export ANSIBLE_REMOTE_TEMP=$BATS_TEST_TMPDIR/ansible-remote
	export ANSIBLE_HOME=$BATS_TEST_TMPDIR/ansible-home
	export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
	export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT"
}

teardown() {
	e4_teardown
}

# play FILE [ansible-playbook options]: run the playbook on localhost.
play() {
	local pb=$1
	shift
	run ansible-playbook -c local -i localhost, "$@" \
		-e "e4ctl=$E4CTL img=$IMG mnt=$MNT out=$OUT" "$pb"
	echo "$output"
}

# result NAME JQ: a field of the result saved as $OUT/NAME.json.
result() {
	jq -r "$2" "$OUT/$1.json"
}

# A 32 MiB filesystem in a 64 MiB image file: room to grow offline.
small_in_big() {
	truncate -s 32M "$IMG"
	mke2fs -q -F -t ext4 "$IMG"
	truncate -s 64M "$IMG"
}

@test "e4ctl_resize: check mode plans without writing; the run grows offline; the second run changes nothing" {
	small_in_big
	before=$(img_hash "$IMG")
	cat >"$BATS_TEST_TMPDIR/pb.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  tasks:
    - e4ctl.ext4.e4ctl_resize: {target: "{{ img }}", size: max, executable: "{{ e4ctl }}"}
      check_mode: true
      register: planned
    - copy: {content: "{{ planned | to_json }}", dest: "{{ out }}/planned.json"}
YAML
	play "$BATS_TEST_TMPDIR/pb.yml" --diff
	[ "$status" -eq 0 ]
	[ "$(img_hash "$IMG")" = "$before" ]
	[ "$(result planned .changed)" = true ]
	[ "$(result planned .plan.old_blocks)" = 32768 ]
	[ "$(result planned .plan.new_blocks)" = 65536 ]
	[ "$(result planned .new_size)" = 67108864 ]
	[ "$(result planned .plan.method)" = "offline (libext2fs)" ]
	[ "$(result planned '.diff.after')" = "65536 blocks of 1024 bytes (67108864 bytes)" ]

	cat >"$BATS_TEST_TMPDIR/pb.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  tasks:
    - e4ctl.ext4.e4ctl_resize: {target: "{{ img }}", size: max, executable: "{{ e4ctl }}"}
      register: first
    - e4ctl.ext4.e4ctl_resize: {target: "{{ img }}", size: 64M, executable: "{{ e4ctl }}"}
      register: second
    - copy: {content: "{{ first | to_json }}", dest: "{{ out }}/first.json"}
    - copy: {content: "{{ second | to_json }}", dest: "{{ out }}/second.json"}
YAML
	play "$BATS_TEST_TMPDIR/pb.yml"
	[ "$status" -eq 0 ]
	[[ $output == *"changed=3 "* ]]
	[ "$(result first .changed)" = true ]
	[ "$(result first .rc)" = 0 ]
	[ "$(result second .changed)" = false ]
	[ "$(result second .plan.old_blocks)" = 65536 ]
	[ "$(dumpe2fs_field "$IMG" 'Block count')" = 65536 ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
}

@test "e4ctl_resize: refusals fail the task with e4ctl's message and the plan (a shrink below the minimum; online growth without CAP_SYS_RESOURCE)" {
	require_root
	small_in_big
	before=$(img_hash "$IMG")
	cat >"$BATS_TEST_TMPDIR/pb.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  tasks:
    - e4ctl.ext4.e4ctl_resize: {target: "{{ img }}", size: 1M, executable: "{{ e4ctl }}"}
      register: shrink
      ignore_errors: true
    - copy: {content: "{{ shrink | to_json }}", dest: "{{ out }}/shrink.json"}
YAML
	play "$BATS_TEST_TMPDIR/pb.yml"
	[ "$status" -eq 0 ]
	[ "$(result shrink .failed)" = true ]
	[ "$(result shrink .changed)" = false ]
	[[ $(result shrink .msg) == "e4ctl resize: $IMG: 1024 blocks is below the minimum of "*" blocks: "* ]]
	[ "$(result shrink '.plan.refusals | length')" = 1 ]
	[[ $(result shrink '.refusals[0]') == "1024 blocks is below the minimum of "* ]]
	# The plan carries the exact minimum the refusal names.
	min=$(result shrink '.plan.min_blocks')
	[[ $(result shrink '.refusals[0]') == "1024 blocks is below the minimum of $min blocks: "* ]]
	[ "$(img_hash "$IMG")" = "$before" ]

	mount_img "$IMG" "$MNT"
	cat >"$BATS_TEST_TMPDIR/pb.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  tasks:
    - e4ctl.ext4.e4ctl_resize: {target: "{{ mnt }}", size: max, executable: "{{ e4ctl }}"}
      register: online
      ignore_errors: true
    - copy: {content: "{{ online | to_json }}", dest: "{{ out }}/online.json"}
YAML
	play "$BATS_TEST_TMPDIR/pb.yml"
	[ "$status" -eq 0 ]
	[ "$(result online .failed)" = true ]
	[ "$(result online .rc)" = 1 ]
	[ "$(result online .plan.method)" = "online, EXT4_IOC_RESIZE_FS" ]
	[ "$(result online .plan.mountpoint)" = "$MNT" ]
	# the refusal, word for word as e4ctl prints it
	[ "$(result online .msg)" = "$("$E4CTL" resize --dry-run "$MNT" max 2>&1 >/dev/null)" ]
	[[ $(result online .msg) == *CAP_SYS_RESOURCE* ]]
	[ "$(df --output=size -B1K "$MNT" | tail -n 1 | tr -d ' ')" -lt 33000 ]
}

@test "e4ctl_info: the geometry and the growth limit, as dumpe2fs and the image say" {
	small_in_big
	cat >"$BATS_TEST_TMPDIR/pb.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  tasks:
    - e4ctl.ext4.e4ctl_info: {target: "{{ img }}", executable: "{{ e4ctl }}"}
      register: info
    - copy: {content: "{{ info | to_json }}", dest: "{{ out }}/info.json"}
      check_mode: false
YAML
	play "$BATS_TEST_TMPDIR/pb.yml" --check
	[ "$status" -eq 0 ]
	[ "$(result info .changed)" = false ]
	[ "$(result info .filesystem.block_count)" = "$(dumpe2fs_field "$IMG" 'Block count')" ]
	[ "$(result info .filesystem.free_blocks)" = "$(dumpe2fs_field "$IMG" 'Free blocks')" ]
	[ "$(result info .filesystem.uuid)" = "$(dumpe2fs_field "$IMG" 'Filesystem UUID')" ]
	[ "$(result info .growth.size)" = 33554432 ]
	[ "$(result info .growth.device_size)" = 67108864 ]
	[ "$(result info .growth.online_max_size)" = "$(( $(result info .filesystem.online_max_blocks) * 1024 ))" ]
	[ -n "$(result info .growth.online_limit)" ]
}

@test "e4ctl_audit: clean is ok; exit 4 fails with the problems; fail_on_problems=false reports them; delalloc on a mount" {
	require_root
	mkimg "$IMG" 96M -t ext4 -b 1024
	cp "$IMG" "$BATS_TEST_TMPDIR/bad.img"
	was=$("$E4CTL" groups --raw --noheadings -o FREE_BLOCKS --groups 3 "$IMG")
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$BATS_TEST_TMPDIR/bad.img" >/dev/null 2>&1
	mount_img "$IMG" "$MNT"
	head -c 100000 /dev/urandom >"$MNT/f"
	cat >"$BATS_TEST_TMPDIR/pb.yml" <<'YAML'
- hosts: localhost
  gather_facts: false
  vars: {bad: "{{ img | dirname }}/bad.img"}
  tasks:
    - e4ctl.ext4.e4ctl_audit: {target: "{{ bad }}", executable: "{{ e4ctl }}"}
      register: failing
      ignore_errors: true
    - e4ctl.ext4.e4ctl_audit: {target: "{{ bad }}", fail_on_problems: false, executable: "{{ e4ctl }}"}
      register: reported
    - e4ctl.ext4.e4ctl_audit: {target: "{{ mnt }}", freeze: true, executable: "{{ e4ctl }}"}
      register: clean
    - e4ctl.ext4.e4ctl_audit: {target: "{{ mnt }}", audit: delalloc, sync: true, executable: "{{ e4ctl }}"}
      register: delalloc
    - e4ctl.ext4.e4ctl_audit: {target: "{{ bad }}", audit: delalloc, executable: "{{ e4ctl }}"}
      register: unmounted
      ignore_errors: true
    - copy: {content: "{{ item.r | to_json }}", dest: "{{ out }}/{{ item.n }}.json"}
      loop:
        - {n: clean, r: "{{ clean }}"}
        - {n: failing, r: "{{ failing }}"}
        - {n: reported, r: "{{ reported }}"}
        - {n: delalloc, r: "{{ delalloc }}"}
        - {n: unmounted, r: "{{ unmounted }}"}
YAML
	play "$BATS_TEST_TMPDIR/pb.yml"
	[ "$status" -eq 0 ]
	[ "$(result clean .failed)" = false ]
	[ "$(result clean .clean)" = true ]
	[ "$(result clean .filesystem.frozen)" = true ]
	[ "$(result clean .filesystem.mountpoint)" = "$MNT" ]
	[ "$(result clean '.problems | length')" = 0 ]
	[ "$(result failing .failed)" = true ]
	[ "$(result failing .exit_status)" = 4 ]
	[ "$(result failing .msg)" = "$BATS_TEST_TMPDIR/bad.img: e4ctl check found 1 problem" ]
	[ "$(result failing '.problems[0] | [.group, .what, .expected, .found] | @tsv')" = "3	free_blocks	$was	7" ]
	[ "$(result reported .failed)" = false ]
	[ "$(result reported .clean)" = false ]
	[ "$(result reported '.problems | length')" = 1 ]
	[ "$(result reported .filesystem.verdict)" = "problems found" ]
	[ "$(result delalloc .failed)" = false ]
	[ "$(result delalloc .clean)" = true ]
	[ "$(result delalloc .filesystem.verdict)" = consistent ]
	[ "$(result delalloc '.problems | length')" = 0 ]
	# an operational error (exit 8) fails with e4ctl's message
	[ "$(result unmounted .failed)" = true ]
	[ "$(result unmounted .exit_status)" = 8 ]
	[ "$(result unmounted .msg)" = "$("$E4CTL" delalloc audit "$BATS_TEST_TMPDIR/bad.img" 2>&1 >/dev/null)" ]
}

@test "module_utils: records of either JSON shape, {name: [records]} and the bare plan object" {
	run env PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$REPO/contrib/ansible" /usr/bin/python3 - <<'PYEOF'
from ansible_collections.e4ctl.ext4.plugins.module_utils.e4ctl import record, records
bare = {"device": "/d", "old_blocks": 1, "refusals": ["no room"]}
assert record(bare, "plan") == bare
assert record({"plan": [bare]}, "plan") == bare
assert record({"plan": bare}, "plan") == bare
doc = {"filesystem": [{"verdict": "clean"}], "findings": []}
assert record(doc, "filesystem") == {"verdict": "clean"}
assert records(doc, "findings") == []
assert record(doc, "plan") is None
assert records({"findings": [{"group": 3}, {"group": 4}]}, "findings") == [{"group": 3}, {"group": 4}]
assert records(None, "plan") == [] and records({}, "plan") == []
# one array under another name: taken; several: none is guessed
assert record({"filesystem": [{"device": "/d"}]}, "filesystems") == {"device": "/d"}
assert record({"files": [{"path": "/a"}], "findings": [{"path": "/b"}]}, "filesystem") is None
assert records({"findings": []}, "plan") == []
print("ok")
PYEOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}
