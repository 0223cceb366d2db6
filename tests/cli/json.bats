#!/usr/bin/env bats
# One JSON shape for every command's --json: an object whose members are
# arrays of records, numbers as JSON numbers, an empty array when there is
# nothing to list.  Each command's members, keys and value types are
# pinned here ("golden"), so that a change to any of them is deliberate.

load ../lib
bats_require_minimum_version 1.5.0

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
}

teardown() {
	e4_teardown
}

# shape: one line per member, "member=key:type,..." of its first record,
# or "member=[]"; fails unless the document has the one shape and every
# record of a member has the same keys.
shape() {
	jq -e 'type == "object" and all(.[]; type == "array" and
		all(.[]; type == "object")) and
		all(.[]; [.[] | keys] | unique | length <= 1)' >/dev/null <<<"$1" || {
		echo "not one document of arrays of records: $1" >&2
		return 1
	}
	jq -r 'to_entries[] | "\(.key)=" + (if (.value | length) == 0 then "[]"
		else (.value[0] | to_entries | map("\(.key):\(.value | type)") | join(","))
		end)' <<<"$1"
}

# expect_shape JSON LINE...: shape of JSON is exactly LINE...
expect_shape() {
	local got want
	got=$(shape "$1") || return 1
	want=$(printf '%s\n' "${@:2}")
	[ "$got" = "$want" ] || { printf 'got:\n%s\nwant:\n%s\n' "$got" "$want" >&2; return 1; }
}

@test "info -J" {
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" info -J "$IMG"
	[ "$status" -eq 0 ]
	expect_shape "$output" \
		"filesystems=device:string,image:string,mountpoint:null,fstype:string,uuid:string,label:null,state:string,features:string,block_size:number,cluster_size:number,block_count:number,free_blocks:number,reserved_blocks:number,inode_count:number,free_inodes:number,first_data_block:number,group_count:number,blocks_per_group:number,inodes_per_group:number,inode_size:number,flex_bg_size:number,desc_size:number,desc_blocks:number,reserved_gdt_blocks:number,device_size:number,online_max_blocks:number,online_limit:string,meta_bg_conversion:boolean"
}

@test "groups -J: one record per group" {
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" groups -J "$IMG"
	[ "$status" -eq 0 ]
	expect_shape "$output" \
		"groups=group:number,start:number,end:number,flags:string,bbitmap:number,ibitmap:number,itable:number,free_blocks:number,free_inodes:number,used_dirs:number,itable_unused:number,csum:string,backup:string"
	[ "$(jq '.groups | length' <<<"$output")" -eq \
		"$("$E4CTL" info -J -o group_count "$IMG" | jq '.filesystems[0].group_count')" ]
}

@test "check -J: no finding is an empty findings array" {
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" check -J "$IMG"
	[ "$status" -eq 0 ]
	expect_shape "$output" \
		"filesystem=device:string,mountpoint:null,groups:number,free_blocks:number,free_inodes:number,verdict:string,advisory:boolean,frozen:boolean" \
		"findings=[]"
}

@test "check -J: findings are records" {
	mkimg "$IMG" 64M -t ext4
	debugfs -w -R "set_bg 1 free_blocks_count 7" "$IMG" >/dev/null 2>&1
	run --separate-stderr "$E4CTL" check -J "$IMG"
	[ "$status" -eq 4 ]
	expect_shape "$output" \
		"filesystem=device:string,mountpoint:null,groups:number,free_blocks:number,free_inodes:number,verdict:string,advisory:boolean,frozen:boolean" \
		"findings=group:number,what:string,expected:number,found:number"
}

plan_shape="plan=device:string,mountpoint:null,method:string,block_size:number,old_blocks:number,new_blocks:number,requested_blocks:number,rounded_to_cluster:boolean,old_size:number,new_size:number,groups_added:number,old_groups:number,new_groups:number,old_desc_blocks:number,new_desc_blocks:number,reserved_gdt_blocks:number,reserved_gdt_covers:boolean,meta_bg_conversion:boolean,old_inodes:number,new_inodes:number,device_size:number,steps:number,step_blocks:number,min_blocks:number,groups_removed:number,blocks_to_move:number,inodes_to_move:number,meta_to_relocate:number,extent_blocks:number,free_blocks_after:number,free_inodes_after:number,refusals:array"

@test "resize -n -J: {\"plan\": [one record]}, refusals a list of strings" {
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" resize -n -J "$IMG" 128M
	[ "$status" -eq 0 ]
	expect_shape "$output" "$plan_shape"
	[ "$(jq -c '.plan[0].refusals' <<<"$output")" = "[]" ]
	# Below the shrink's minimum: refused, with the minimum in the record.
	run --separate-stderr "$E4CTL" resize -n -J "$IMG" 1M
	[ "$status" -eq 1 ]
	expect_shape "$output" "$plan_shape"
	[ "$(jq -c '.plan[0].refusals | map(type)' <<<"$output")" = '["string"]' ]
}

@test "inline list -J: no inline inode is {\"inodes\": []}, exit 0" {
	mkimg "$IMG" 64M -t ext4 -O inline_data
	run --separate-stderr "$E4CTL" inline list -J "$IMG"
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = '{"inodes":[]}' ]
	# without the feature at all: the same document
	mkimg "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" inline list -J "$IMG"
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = '{"inodes":[]}' ]
	run --separate-stderr "$E4CTL" inline convert -n --all -J "$IMG"
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = '{"inodes":[]}' ]
}

@test "inline list -J and convert -n -J: records" {
	mkimg "$IMG" 64M -t ext4 -O inline_data
	# written by debugfs: no loop device left attached to the image
	printf 'hi\n' >"$BATS_TEST_TMPDIR/hi"
	debugfs -w -R "write $BATS_TEST_TMPDIR/hi small" "$IMG" >/dev/null 2>&1
	run --separate-stderr "$E4CTL" inline list -J "$IMG"
	[ "$status" -eq 0 ]
	expect_shape "$output" "inodes=inode:number,path:string,type:string,size:number,links:number"
	run --separate-stderr "$E4CTL" inline convert -n --all -J "$IMG"
	[ "$status" -eq 0 ]
	expect_shape "$output" "inodes=inode:number,path:string,type:string,size:number,links:number,status:string,reason:null"
}

da_fs="filesystem=mountpoint:string,sysfs_name:string,block_size:number,cluster_size:number,quiesce:string,live_counter:number,counter_samples:string,stable:boolean,counter:number,file_sum:number,delalloc_sum:number,difference:number,reserved_clusters:number,files_scanned:number,files_holding:number,files_skipped:number,cachestat:boolean,statfs_free:number,disk_free:number,sb_free:number,free_difference:number,verdict:string"

@test "delalloc audit -J: no file holding delalloc is an empty files array" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	run --separate-stderr "$E4CTL" delalloc audit --sync -J "$MNT"
	[ "$status" -eq 0 ]
	expect_shape "$output" "files=[]" "$da_fs" "findings=[]"
}

@test "delalloc audit -J --all: files are records" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	echo x >"$MNT/f"
	sync -f "$MNT"
	run --separate-stderr "$E4CTL" delalloc audit --sync --all -J -o path,inode,delalloc_blocks "$MNT"
	[ "$status" -eq 0 ]
	expect_shape "$output" "files=path:string,inode:number,delalloc_blocks:number" "$da_fs" "findings=[]"
}

# wb on the fixture tree of tests/wb (see fixtures.bats).
wb_root() {
	ROOT=$BATS_TEST_TMPDIR/root
	cp -a "$BATS_TEST_DIRNAME/../wb/fixtures/sysroot" "$ROOT"
	local in path
	for in in "$ROOT"/sys/kernel/debug/bdi/*/wb_stats.in; do
		cp "$in" "${in%.in}"
		while read -r path; do
			sed -i "s|@INO:$path@|$(stat -c %i "$ROOT/sys/fs/cgroup$path")|" "${in%.in}"
		done < <(grep -o '@INO:[^@]*@' "$in" | sed 's/@INO:\(.*\)@/\1/')
		rm "$in"
	done
}

wb_contexts="contexts=cgroup:string,dirty:number,writeback:number,dirtied:number,written:number,bandwidth:number,thresh:number,inodes_dirty:number,inodes_io:number,file_dirty:number,file_writeback:number,io_wbytes:number"
wb_fs="filesystem=time:string,device:string,mountpoint:string,bdi:string,wb_stats:boolean,cgroup_writeback:boolean,mode:string,reason:null,notes:array,dirty_thresh:number,background_thresh:number"

@test "wb show -J: contexts and one filesystem record" {
	wb_root
	run --separate-stderr "$E4CTL" wb show --sysroot "$ROOT" -J /mnt/data
	[ "$status" -eq 0 ]
	expect_shape "$output" "$wb_contexts" "$wb_fs"
}

@test "wb watch -J: one document per frame, one per line" {
	wb_root
	run --separate-stderr "$E4CTL" wb watch --sysroot "$ROOT" -J -c 2 -i 0.01 /mnt/data
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	expect_shape "${lines[0]}" "$wb_contexts" "$wb_fs"
	expect_shape "${lines[1]}" "$wb_contexts" "$wb_fs"
}

@test "--list-columns -J is one document too" {
	run --separate-stderr "$E4CTL" groups --list-columns -J
	[ "$status" -eq 0 ]
	expect_shape "$output" "columns=name:string,type:string,description:string"
}

@test "strings are escaped: a path with a quote, a backslash and a newline" {
	require_root
	mkimg "$IMG" 64M -t ext4 -O inline_data
	mount_img "$IMG" "$MNT"
	printf 'x' >"$MNT/"$'a"b\\c\nd'
	run --separate-stderr "$E4CTL" inline list -J "$MNT"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.inodes[0].path' <<<"$output")" = "$MNT/"$'a"b\\c\nd' ]
}
