#!/usr/bin/env bats
# --openmetrics of check, delalloc audit and wb show: every document passes
# promtool's lint (the Prometheus text format node_exporter's textfile
# collector reads) and a strict OpenMetrics parser (prometheus_client),
# and its values are the audit's.  wb show runs on the fixture tree of
# tests/wb: this host has no cgroup2 writeback.

load ../lib
bats_require_minimum_version 1.5.0

PY=/usr/bin/python3

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	OM=$BATS_TEST_TMPDIR/out.om
}

teardown() {
	e4_teardown
}

# valid FILE: promtool finds nothing; the OpenMetrics parser accepts it;
# no two samples share a name and label set; it ends with "# EOF".
valid() {
	run promtool check metrics <"$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(tail -n 1 "$1")" = "# EOF" ]
	"$PY" - "$1" <<'PYEOF'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
seen = set()
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert fam.name.startswith("e4ctl_"), fam.name
    assert fam.type == "gauge", fam.name
    assert fam.documentation, fam.name
    for s in fam.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        assert key not in seen, key
        seen.add(key)
        assert "device" in s.labels and "mountpoint" in s.labels, s
PYEOF
}

# sample NAME LABELS: the value of the sample with exactly these labels.
sample() {
	# through the environment: awk -v would undo the label's escapes
	K="$1{$2}" awk '{ v = $NF; if (substr($0, 1, length($0) - length(v) - 1) == ENVIRON["K"]) print v }' "$OM"
}

@test "check --openmetrics, unmounted and clean: valid, the bitmap counts, every kind at 0" {
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" check --openmetrics "$IMG"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" >"$OM"
	valid "$OM"
	l="device=\"$IMG\",mountpoint=\"\""
	[ "$(sample e4ctl_check_clean "$l")" = 1 ]
	[ "$(sample e4ctl_check_advisory "$l")" = 0 ]
	[ "$(sample e4ctl_check_free_blocks "$l")" = "$(dumpe2fs_field "$IMG" 'Free blocks')" ]
	[ "$(sample e4ctl_check_free_inodes "$l")" = "$(dumpe2fs_field "$IMG" 'Free inodes')" ]
	[ "$(grep -c '^e4ctl_check_findings{.*} 0$' "$OM")" -eq 7 ]
	! grep -q e4ctl_check_finding_expected "$OM"
}

@test "check --openmetrics, a wrong free count: exit 4, the finding by group" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	was=$("$E4CTL" groups --raw --noheadings -o FREE_BLOCKS --groups 3 "$IMG")
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	run --separate-stderr "$E4CTL" check --openmetrics "$IMG"
	[ "$status" -eq 4 ]
	echo "$output" >"$OM"
	valid "$OM"
	l="device=\"$IMG\",mountpoint=\"\""
	[ "$(sample e4ctl_check_clean "$l")" = 0 ]
	[ "$(sample e4ctl_check_findings "$l,what=\"free_blocks\"")" = 1 ]
	[ "$(sample e4ctl_check_findings "$l,what=\"desc_csum\"")" = 0 ]
	[ "$(sample e4ctl_check_finding_expected "$l,group=\"3\",what=\"free_blocks\"")" = "$was" ]
	[ "$(sample e4ctl_check_finding_found "$l,group=\"3\",what=\"free_blocks\"")" = 7 ]
}

@test "check --openmetrics, mounted where the path needs escaping: the mount point label, advisory" {
	require_root
	mkimg "$IMG" 64M -t ext4
	MNT=$BATS_TEST_TMPDIR/'m "q\b'
	mount_img "$IMG" "$MNT"
	dev=$(findmnt -n -o SOURCE --target "$MNT")
	run --separate-stderr "$E4CTL" check --openmetrics "$MNT"
	[ "$status" -eq 0 ]
	echo "$output" >"$OM"
	valid "$OM"
	esc=${MNT//\\/\\\\}
	esc=${esc//\"/\\\"}
	[ "$(sample e4ctl_check_advisory "device=\"$dev\",mountpoint=\"$esc\"")" = 1 ]
	[[ $stderr == *"result is advisory"* ]]
}

@test "--openmetrics excludes --json and --raw: usage error, nothing on stdout" {
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" check --openmetrics --json "$IMG"
	[ "$status" -eq 16 ]
	[ -z "$output" ]
	[[ $stderr == *"--openmetrics excludes --json and --raw"* ]]
	run --separate-stderr "$E4CTL" delalloc audit --openmetrics -r "$IMG"
	[ "$status" -eq 16 ]
	[[ $stderr == *"--openmetrics excludes --json and --raw"* ]]
	run --separate-stderr "$E4CTL" wb show --openmetrics --json "$IMG"
	[ "$status" -eq 2 ]
	[[ $stderr == *"--openmetrics excludes --json and --raw"* ]]
}

@test "delalloc audit --openmetrics --sync: valid, judged, the kernel's counter, every kind at 0" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	dev=$(findmnt -n -o SOURCE --target "$MNT")
	head -c 300000 /dev/urandom >"$MNT/f"
	run --separate-stderr "$E4CTL" delalloc audit --openmetrics --sync "$MNT"
	[ "$status" -eq 0 ]
	echo "$output" >"$OM"
	valid "$OM"
	l="device=\"$dev\",mountpoint=\"$MNT\""
	[ "$(sample e4ctl_delalloc_judged "$l")" = 1 ]
	[ "$(sample e4ctl_delalloc_quiesced "$l")" = 1 ]
	[ "$(sample e4ctl_delalloc_files_scanned "$l")" = 1 ]
	name=$(basename "$(readlink -f "$dev")")
	[ "$(sample e4ctl_delalloc_delayed_allocation_blocks "$l")" = "$(cat /sys/fs/ext4/"$name"/delayed_allocation_blocks)" ]
	[ "$(grep -c '^e4ctl_delalloc_findings{.*} 0$' "$OM")" -eq 3 ]
}

# The fixture tree of tests/wb, with wb_stats naming its cgroups by inode.
wb_root() {
	ROOT=$BATS_TEST_TMPDIR/root
	cp -a "$BATS_TEST_DIRNAME/../wb/fixtures/sysroot" "$ROOT"
	local in ino path
	for in in "$ROOT"/sys/kernel/debug/bdi/*/wb_stats.in; do
		cp "$in" "${in%.in}"
		while read -r path; do
			ino=$(stat -c %i "$ROOT/sys/fs/cgroup$path")
			sed -i "s|@INO:$path@|$ino|" "${in%.in}"
		done < <(grep -o '@INO:[^@]*@' "$in" | sed 's/@INO:\(.*\)@/\1/')
		rm "$in"
	done
}

@test "wb show --openmetrics (fixture): valid, one sample per cgroup, the JSON's values" {
	wb_root
	run --separate-stderr "$E4CTL" wb show /mnt/data --sysroot "$ROOT" --openmetrics
	[ "$status" -eq 0 ]
	echo "$output" >"$OM"
	valid "$OM"
	json=$("$E4CTL" wb show /mnt/data --sysroot "$ROOT" --json)
	l='device="/dev/loop0",mountpoint="/mnt/data"'
	[ "$(sample e4ctl_wb_cgroup_writeback "$l")" = 1 ]
	[ "$(sample e4ctl_wb_contexts "$l")" = "$(jq '.contexts | length' <<<"$json")" ]
	for cg in / /a /b /b/b1; do
		[ "$(sample e4ctl_wb_dirty_bytes "$l,cgroup=\"$cg\"")" = \
		  "$(jq --arg c "$cg" '.contexts[] | select(.cgroup == $c) | .dirty' <<<"$json")" ]
		[ "$(sample e4ctl_wb_written_bytes "$l,cgroup=\"$cg\"")" = \
		  "$(jq --arg c "$cg" '.contexts[] | select(.cgroup == $c) | .written' <<<"$json")" ]
	done
	[ "$(sample e4ctl_wb_cgroup_file_dirty_bytes "$l,cgroup=\"/a\"")" = 15532032 ]
	# the dying context is named as in the table, and has no cgroup files
	[ "$(sample e4ctl_wb_dirty_bytes "$l,cgroup=\"(dying) ino 4000000110\"")" = 8388608 ]
	[ -z "$(sample e4ctl_wb_cgroup_file_dirty_bytes "$l,cgroup=\"(dying) ino 4000000110\"")" ]
}

@test "contrib/systemd: the units verify cleanly" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	units=$BATS_TEST_DIRNAME/../../contrib/systemd
	run systemd-analyze verify --man=no "$units/e4ctl-check@-.service" "$units/e4ctl-check@-.timer"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# The service's ExecStart as sh would run it for instance $1 (escaped) and
# path $2: continuation lines joined, systemd's $$ and specifiers resolved.
exec_start() {
	"$PY" - "$BATS_TEST_DIRNAME/../../contrib/systemd/e4ctl-check@.service" "$1" "$2" <<'PYEOF'
import re, shlex, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
line = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
line = line.replace("%i", sys.argv[2]).replace("%I", sys.argv[3]).replace("$$", "$")
print(line)
PYEOF
}

@test "contrib/systemd: the service publishes by rename, also when problems are found, and keeps the old file on an error" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin" "$BATS_TEST_TMPDIR/textfile"
	ln -s "$E4CTL" "$bin/e4ctl"
	cmd=$(exec_start img "$IMG")
	export TEXTFILE_DIR=$BATS_TEST_TMPDIR/textfile E4CTL_CHECK_OPTIONS=
	out=$TEXTFILE_DIR/e4ctl-check-img.prom
	PATH=$bin:$PATH eval "$cmd"
	valid "$out"
	grep -q '^e4ctl_check_clean{.*} 1$' "$out"
	# exit 4 (problems found) publishes too
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	PATH=$bin:$PATH eval "$cmd"
	valid "$out"
	grep -q '^e4ctl_check_clean{.*} 0$' "$out"
	# an operational error (exit 8) fails the unit and leaves the last file
	cp "$out" "$BATS_TEST_TMPDIR/last"
	rm "$IMG"
	run env PATH="$bin:$PATH" sh -c "$cmd"
	[ "$status" -ne 0 ]
	cmp "$out" "$BATS_TEST_TMPDIR/last"
	[ "$(ls "$TEXTFILE_DIR")" = "e4ctl-check-img.prom
e4ctl-check-img.prom.tmp" ]
}
