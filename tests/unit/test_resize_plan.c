// SPDX-License-Identifier: GPL-2.0
/*
 * e4_resize_plan from hand-made facts: every method (online in one call
 * or in steps, the legacy ioctls, offline grow with and without meta_bg
 * conversion, offline shrink) and every refusal, by code and words.  No
 * root, no kernel, no image: the plan is a pure function.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "e4/resize.h"

#define G 32768ULL		/* blocks per group */

struct tcase {
	const char *name;
	void (*setup)(struct e4_resize_facts *f, struct e4_resize_request *r);
	bool mounted;
	uint64_t blocks;		/* request */
	enum e4_resize_method method;
	int nrefusals;
	int code;			/* of the first refusal */
	const char *words;		/* in the first refusal */
	uint64_t new_blocks;		/* 0: do not check */
	uint32_t steps;			/* UINT32_MAX: do not check */
	bool meta_bg_conversion;
};

static struct e4_target target = {
	.device = "/dev/e4test",
	.mountpoint = "/mnt/e4test",
	.is_blockdev = true,
	.size = 1ULL << 40,
};

/* 4 KiB blocks, 8 groups of 32768 blocks, 8192 inodes each, 64bit,
 * resize_inode with 63 reserved GDT blocks, flex_bg of 16. */
static void base(struct e4_resize_facts *f, bool mounted)
{
	struct e4_geom *g = &f->geom;

	memset(f, 0, sizeof(*f));
	target.mounted = mounted;
	target.readonly = false;
	target.size = 1ULL << 50;
	f->t = &target;
	g->block_size = 4096;
	g->blocks_per_group = G;
	g->inodes_per_group = 8192;
	g->inode_blocks_per_group = 512;
	g->desc_per_block = 64;
	g->cluster_ratio = 1;
	g->reserved_gdt_blocks = 63;
	g->log_groups_per_flex = 4;
	g->sparse_super = g->resize_inode = g->is_64bit = g->flex_bg = true;
	g->blocks = 8 * G;
	g->groups = 8;
	g->desc_blocks = 1;
	g->inodes = 8 * 8192;
	f->cap_sys_resource = true;
	f->kernel_meta_bg_resize = true;
}

static void no_cap(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->cap_sys_resource = false; }
static void errors_state(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->state = EXT2_ERROR_FS; }
static void errors_count(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->errors_count = 2; }
static void backup_sb(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->mount_sb = 131072; }
static void primary_sb(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->mount_sb = 1; }
static void ro_mount(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->mount_readonly = true; }
static void ro_target(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; target.readonly = true; (void)f; }
static void rsv_no_inode(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->geom.resize_inode = false; }
static void small_dev(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->t = &target; target.size = 10 * G * 4096; }
static void sparse2(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->geom.sparse_super2 = true; }
static void no64(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->geom.is_64bit = false; f->geom.desc_per_block = 128; }
static void no_mbr(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->kernel_meta_bg_resize = false; }
static void both_meta(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->geom.meta_bg = true; }
static void many_inodes(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->geom.inodes_per_group = 1U << 28; }
/* The own last group is 10 blocks: below the kernel's minimum. */
static void tiny_last(struct e4_resize_facts *f, struct e4_resize_request *r)
{
	(void)r;
	f->geom.blocks = 8 * G + 10;
	f->geom.groups = 9;
}
static void legacy(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)f; r->legacy = true; }
static void legacy_bigalloc(struct e4_resize_facts *f, struct e4_resize_request *r)
{ r->legacy = true; f->geom.bigalloc = true; f->geom.cluster_ratio = 16; }
static void legacy_nonsparse(struct e4_resize_facts *f, struct e4_resize_request *r)
{ r->legacy = true; f->geom.sparse_super = false; }
static void legacy_32(struct e4_resize_facts *f, struct e4_resize_request *r)
{ r->legacy = true; f->geom.reserved_gdt_blocks = 5000; }
static void step_auto(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)f; r->step_blocks = E4_RESIZE_STEP_AUTO; }
static void step_given(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)f; r->step_blocks = 20 * G; }	/* rounded up to 2 flex groups */
static void bigalloc(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; f->geom.bigalloc = true; f->geom.cluster_ratio = 16; }
static struct e4_gate_finding recovery = {
	.what = E4_GATE_NEEDS_RECOVERY, .msg = "the journal needs recovery",
};
static struct e4_gate_finding bad_bitmap = {
	.what = E4_GATE_BBITMAP_CSUM, .hard = true,
	.msg = "the block bitmap checksum of group 3 is wrong",
};
static void gate(struct e4_resize_facts *f, struct e4_resize_request *r)
{
	(void)r;
	f->gates.findings = &recovery;
	f->gates.n = 1;
}
/* A hard gate (a bad checksum) holds with --force too. */
static void hard_gate_forced(struct e4_resize_facts *f, struct e4_resize_request *r)
{
	f->gates.findings = &bad_bitmap;
	f->gates.n = 1;
	r->force = true;
}
static void gate_forced(struct e4_resize_facts *f, struct e4_resize_request *r)
{ gate(f, r); r->force = true; }
static void image(struct e4_resize_facts *f, struct e4_resize_request *r)
{ (void)r; (void)f; target.is_blockdev = false; target.size = 4096; }
static void sparse2_bigalloc(struct e4_resize_facts *f, struct e4_resize_request *r)
{
	(void)r;
	f->geom.sparse_super2 = true;
	f->geom.backup_bgs[0] = 1;
	f->geom.backup_bgs[1] = 7;
	f->geom.bigalloc = true;
	f->geom.cluster_ratio = 16;
}

#define ANY UINT32_MAX
static const struct tcase cases[] = {
	/* online, EXT4_IOC_RESIZE_FS */
	{ "online one call", NULL, true, 16 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 16 * G, 1, false },
	{ "online steps, auto", step_auto, true, 16 * 8 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 128 * G, 8, false },
	{ "online auto, small: one", step_auto, true, 16 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 16 * G, 1, false },
	{ "online steps, given", step_given, true, 100 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 100 * G, 4, false },
	{ "online nothing to do", NULL, true, 8 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 8 * G, 0, false },
	{ "online meta_bg conversion", NULL, true, 64 * 65 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 64 * 65 * G, 1, true },
	{ "online last group trimmed", NULL, true, 16 * G + 10, E4_RESIZE_ONLINE, 0, 0, NULL, 16 * G, 1, false },
	{ "online bigalloc rounds", bigalloc, true, 16 * G + 7, E4_RESIZE_ONLINE, 0, 0, NULL, 16 * G, 1, false },
	{ "online primary sb= is fine", primary_sb, true, 16 * G, E4_RESIZE_ONLINE, 0, 0, NULL, 16 * G, 1, false },
	{ "no CAP_SYS_RESOURCE", no_cap, true, 16 * G, E4_RESIZE_ONLINE, 1, -EPERM, "lacks CAP_SYS_RESOURCE", 0, ANY, false },
	{ "errors recorded", errors_state, true, 16 * G, E4_RESIZE_ONLINE, 1, -EPERM, "errors recorded; the kernel", 0, ANY, false },
	{ "errors_count", errors_count, true, 16 * G, E4_RESIZE_ONLINE, 1, -EPERM, "(errors_count in /sys/fs/ext4)", 0, ANY, false },
	{ "backup superblock", backup_sb, true, 16 * G, E4_RESIZE_ONLINE, 1, -EPERM, "sb=131072", 0, ANY, false },
	{ "read-only mount", ro_mount, true, 16 * G, E4_RESIZE_ONLINE, 1, -EROFS, "mount -o remount,rw /mnt/e4test", 0, ANY, false },
	{ "read-only target", ro_target, true, 16 * G, E4_RESIZE_ONLINE, 1, -EROFS, "is mounted read-only", 0, ANY, false },
	{ "reserved GDT without resize_inode", rsv_no_inode, true, 16 * G, E4_RESIZE_ONLINE, 1, -EUCLEAN, "reserved GDT blocks without", 0, ANY, false },
	{ "online shrink", NULL, true, 4 * G, E4_RESIZE_ONLINE, 1, -EINVAL, "ext4 cannot shrink while mounted (262144 -> 131072 blocks); unmount it", 0, ANY, false },
	{ "device too small", small_dev, true, 16 * G, E4_RESIZE_ONLINE, 1, -ENOSPC, "the device /dev/e4test is only", 0, ANY, false },
	{ "sparse_super2 online", sparse2, true, 16 * G, E4_RESIZE_ONLINE, 1, -EOPNOTSUPP, "sparse_super2", 0, ANY, false },
	{ "32-bit limit", no64, true, 1ULL << 33, E4_RESIZE_ONLINE, 1, -EFBIG, "without the 64bit feature", 0, ANY, true },
	{ "reserved GDT used up, no meta_bg_resize", no_mbr, true, 64 * 65 * G, E4_RESIZE_ONLINE, 1, -EPERM, "reserved GDT blocks are used up", 0, ANY, false },
	{ "resize_inode and meta_bg", both_meta, true, 16 * G, E4_RESIZE_ONLINE, 1, -EINVAL, "both set", 0, ANY, false },
	{ "inode count limit online", many_inodes, true, 32 * G, E4_RESIZE_ONLINE, 1, -EINVAL, "inode count past", 0, ANY, false },
	{ "own last group too small", tiny_last, true, 8 * G + 20, E4_RESIZE_ONLINE, 1, -EINVAL, "smaller than the kernel's minimum", 0, ANY, false },
	{ "several refusals at once", no_cap, true, 4 * G, E4_RESIZE_ONLINE, 2, -EPERM, "CAP_SYS_RESOURCE", 0, ANY, false },
	/* online, legacy ioctls */
	{ "legacy", legacy, true, 16 * G, E4_RESIZE_ONLINE_LEGACY, 0, 0, NULL, 16 * G, 8, false },
	{ "legacy partial last group", legacy, true, 16 * G + 1000, E4_RESIZE_ONLINE_LEGACY, 0, 0, NULL, 16 * G + 1000, 9, false },
	{ "legacy bigalloc", legacy_bigalloc, true, 16 * G, E4_RESIZE_ONLINE_LEGACY, 1, -EOPNOTSUPP, "do not support bigalloc", 0, ANY, false },
	{ "legacy non-sparse", legacy_nonsparse, true, 100 * G, E4_RESIZE_ONLINE_LEGACY, 1, -EPERM, "without sparse_super", 0, ANY, false },
	{ "legacy past reserved GDT", legacy, true, 64 * 65 * G, E4_RESIZE_ONLINE_LEGACY, 1, -EPERM, "no reserved GDT blocks left", 0, ANY, false },
	{ "legacy past 32 bits", legacy_32, true, 1ULL << 33, E4_RESIZE_ONLINE_LEGACY, 1, -EFBIG, "32-bit block count", 0, ANY, false },
	/* offline */
	{ "offline grow", NULL, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 0, 0, NULL, 16 * G, 1, false },
	{ "offline meta_bg conversion", NULL, false, 64 * 65 * G, E4_RESIZE_OFFLINE_GROW, 0, 0, NULL, 64 * 65 * G, 1, true },
	{ "offline small last group left out", NULL, false, 16 * G + 100, E4_RESIZE_OFFLINE_GROW, 0, 0, NULL, 16 * G, 1, false },
	{ "offline bigalloc rounds", bigalloc, false, 16 * G + 7, E4_RESIZE_OFFLINE_GROW, 0, 0, NULL, 16 * G, 1, false },
	{ "offline image file grows", image, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 0, 0, NULL, 16 * G, 1, false },
	/* The shrink plan reads bitmaps (lib/shrink_plan.c): without them, refused. */
	{ "offline shrink, no bitmaps", NULL, false, 4 * G, E4_RESIZE_OFFLINE_SHRINK, 1, -EOPNOTSUPP, "planned from the filesystem's bitmaps", 4 * G, ANY, false },
	{ "offline 32-bit", no64, false, 1ULL << 33, E4_RESIZE_OFFLINE_GROW, 1, -EFBIG, "at most 4294967295 blocks", 0, ANY, true },
	{ "offline inode count", many_inodes, false, 32 * G, E4_RESIZE_OFFLINE_GROW, 1, -EOVERFLOW, "limit of 4294967295 inodes", 0, ANY, false },
	{ "offline resize_inode and meta_bg", both_meta, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 1, -EUCLEAN, "both set, which is invalid", 0, ANY, false },
	{ "offline device too small", small_dev, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 1, -ENOSPC, "the device has", 0, ANY, false },
	{ "offline gate", gate, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 1, -EUCLEAN, "journal needs recovery", 0, ANY, false },
	{ "offline gate, --force", gate_forced, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 0, 0, NULL, 16 * G, 1, false },
	{ "offline hard gate, --force", hard_gate_forced, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 1, -EUCLEAN, "block bitmap checksum of group 3 is wrong; run 'e2fsck -f", 0, ANY, false },
	{ "offline sparse_super2 backup of bigalloc", sparse2_bigalloc, false, 16 * G, E4_RESIZE_OFFLINE_GROW, 1, -EOPNOTSUPP, "sparse_super2 backup of a bigalloc", 0, ANY, false },
};

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct e4_resize_request req = { .blocks = c->blocks };
		struct e4_resize_facts f;
		struct e4_resize_plan p;

		target.is_blockdev = true;
		base(&f, c->mounted);
		if (c->setup)
			c->setup(&f, &req);
		e4_resize_plan(&f, &req, &p);
		print_message("%s: method %d, %d refusal(s)%s%s, %llu blocks, %u steps\n",
			      c->name, p.method, p.nrefusals,
			      p.nrefusals ? ": " : "",
			      p.nrefusals ? p.refusals[0].msg : "",
			      (unsigned long long)p.new_blocks, p.steps);
		assert_int_equal(p.method, c->method);
		assert_int_equal(p.online, c->mounted);
		assert_int_equal(p.legacy, c->method == E4_RESIZE_ONLINE_LEGACY);
		assert_int_equal(p.nrefusals, c->nrefusals);
		assert_int_equal(p.requested_blocks, c->blocks);
		assert_int_equal(p.old_blocks, f.geom.blocks);
		if (c->nrefusals) {
			assert_int_equal(p.refusals[0].code, c->code);
			assert_non_null(strstr(p.refusals[0].msg, c->words));
		}
		if (c->new_blocks)
			assert_int_equal(p.new_blocks, c->new_blocks);
		if (c->steps != ANY)
			assert_int_equal(p.steps, c->steps);
		assert_int_equal(p.meta_bg_conversion, c->meta_bg_conversion);
	}
}

/* The geometry after the plan, for one online and one offline grow. */
static void test_geometry(void **state)
{
	struct e4_resize_request req = { .blocks = 100 * G };
	struct e4_resize_facts f;
	struct e4_resize_plan p;

	(void)state;
	base(&f, true);
	e4_resize_plan(&f, &req, &p);
	assert_int_equal(p.old_groups, 8);
	assert_int_equal(p.new_groups, 100);
	assert_int_equal(p.old_desc_blocks, 1);
	assert_int_equal(p.new_desc_blocks, 2);
	assert_true(p.reserved_gdt_covers);
	assert_int_equal(p.new_inodes, 100 * 8192);
	assert_int_equal(p.block_size, 4096);
	assert_int_equal(p.device_size, 1ULL << 50);
	assert_false(p.rounded_to_cluster);
	base(&f, false);
	e4_resize_plan(&f, &req, &p);
	assert_int_equal(p.new_groups, 100);
	assert_int_equal(p.new_desc_blocks, 2);
	assert_true(p.reserved_gdt_covers);
	req.blocks = 64 * 65 * G;
	e4_resize_plan(&f, &req, &p);
	assert_false(p.reserved_gdt_covers);
	/* Shrink leaves room for the engine's counts, zero until then. */
	req.blocks = 4 * G;
	e4_resize_plan(&f, &req, &p);
	assert_int_equal(p.min_blocks, 0);
	assert_int_equal(p.blocks_to_move, 0);
	assert_int_equal(p.inodes_to_move, 0);
}

/* A full list keeps the first E4_PLAN_MAX_REFUSALS and no more. */
static void test_refusal_overflow(void **state)
{
	struct e4_gate_finding many[16];
	struct e4_resize_request req = { .blocks = 16 * G };
	struct e4_resize_facts f;
	struct e4_resize_plan p;
	unsigned int i;

	(void)state;
	base(&f, false);
	f.geom.meta_bg = true;
	memset(many, 0, sizeof(many));
	for (i = 0; i < 16; i++) {
		many[i].what = E4_GATE_ERRORS;
		snprintf(many[i].msg, sizeof(many[i].msg), "gate %u", i);
	}
	f.gates.findings = many;
	f.gates.n = 16;
	f.geom.is_64bit = false;
	req.blocks = 1ULL << 33;
	f.geom.inodes_per_group = 1U << 28;
	target.is_blockdev = true;
	target.size = 4096;
	e4_resize_plan(&f, &req, &p);
	assert_int_equal(p.nrefusals, E4_PLAN_MAX_REFUSALS);
	/* Four refusals of the geometry come first, then the gates. */
	assert_non_null(strstr(p.refusals[E4_PLAN_MAX_REFUSALS - 1].msg, "gate 11;"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_refusal_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
