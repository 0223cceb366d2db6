// SPDX-License-Identifier: GPL-2.0
/*
 * The gates before e4ctl writes to an unmounted filesystem: the e2fsck
 * state of the superblock, its checksum and counts, the descriptors, and
 * the bitmaps' checksums and counts through the check engine.  The result
 * is a list of findings; the callers' plans turn them into refusals.
 * Nothing here writes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"
#include "e4/check.h"
#include "e4/gate.h"

/* Groups named in a finding that stands for several. */
#define GROUPS_NAMED 4

struct builder {
	struct e4_gate_result *res;
	size_t cap;
};

static struct e4_gate_finding *add(struct builder *b, enum e4_gate_what what,
				   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct e4_gate_finding *add(struct builder *b, enum e4_gate_what what,
				   const char *fmt, ...)
{
	struct e4_gate_result *res = b->res;
	struct e4_gate_finding *f;
	va_list ap;

	if (e4_array_room(&res->findings, res->n, &b->cap,
			  sizeof(*res->findings), 8))
		return NULL;
	f = &res->findings[res->n++];
	memset(f, 0, sizeof(*f));
	f->what = what;
	f->hard = what >= E4_GATE_SB_CSUM;
	f->count = 1;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return f;
}

/* What resize2fs looks at before it writes: the e2fsck state. */
static int state_gates(struct builder *b, struct ext2_super_block *sb)
{
	static const struct {
		enum e4_gate_what what;
		const char *msg;
	} gates[] = {
		{ E4_GATE_ERRORS, "the filesystem has errors recorded" },
		{ E4_GATE_NOT_CLEAN, "the filesystem is not clean (not cleanly unmounted, or not checked since)" },
		{ E4_GATE_NEEDS_RECOVERY, "the journal needs recovery" },
		{ E4_GATE_ORPHANS, "the filesystem has an orphan inode list" },
		{ E4_GATE_UNCHECKED, "the filesystem was mounted after its last check" },
	};
	bool hit[] = {
		sb->s_state & EXT2_ERROR_FS,
		!(sb->s_state & EXT2_VALID_FS),
		ext2fs_has_feature_journal_needs_recovery(sb),
		sb->s_last_orphan || ext2fs_has_feature_orphan_present(sb),
		sb->s_lastcheck < sb->s_mtime,
	};
	size_t i;

	for (i = 0; i < sizeof(gates) / sizeof(gates[0]); i++)
		if (hit[i] && !add(b, gates[i].what, "%s", gates[i].msg))
			return -ENOMEM;
	return 0;
}

/*
 * The superblock's own checksum, computed here (libext2fs only says
 * whether it matches) so that the finding can show both values.
 */
static int super_gates(struct builder *b, ext2_filsys fs)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t blocks = ext2fs_blocks_count(sb);
	uint64_t free_blocks = ext2fs_free_blocks_count(sb);

	if (ext2fs_has_feature_metadata_csum(sb) &&
	    !ext2fs_superblock_csum_verify(fs, sb)) {
		uint32_t calc = ext2fs_crc32c_le(~0U, (unsigned char *)sb,
						 offsetof(struct ext2_super_block,
							  s_checksum));

		if (!add(b, E4_GATE_SB_CSUM,
			 "the superblock checksum is wrong (0x%08x stored, 0x%08x computed)",
			 ext2fs_le32_to_cpu(sb->s_checksum), calc))
			return -ENOMEM;
	}
	if (free_blocks > blocks &&
	    !add(b, E4_GATE_SB_COUNTS,
		 "the superblock's free block count (%llu) exceeds its block count (%llu)",
		 (unsigned long long)free_blocks, (unsigned long long)blocks))
		return -ENOMEM;
	if (sb->s_free_inodes_count > sb->s_inodes_count &&
	    !add(b, E4_GATE_SB_COUNTS,
		 "the superblock's free inode count (%u) exceeds its inode count (%u)",
		 sb->s_free_inodes_count, sb->s_inodes_count))
		return -ENOMEM;
	if (ext2fs_r_blocks_count(sb) > blocks &&
	    !add(b, E4_GATE_SB_COUNTS,
		 "the superblock's reserved block count (%llu) exceeds its block count (%llu)",
		 (unsigned long long)ext2fs_r_blocks_count(sb),
		 (unsigned long long)blocks))
		return -ENOMEM;
	return 0;
}

/* Bitmaps or inode tables outside their place, overlapping, ... */
static int desc_gate(struct builder *b, ext2_filsys fs)
{
	errcode_t ret = ext2fs_check_desc(fs);

	if (!ret)
		return 0;
	if (ret == EXT2_ET_NO_MEMORY)
		return -ENOMEM;
	return add(b, E4_GATE_DESC, "the group descriptors are corrupt (%s)",
		   error_message(ret)) ? 0 : -ENOMEM;
}

static enum e4_gate_what gate_of(enum e4_check_what w)
{
	switch (w) {
	case E4_CHECK_DESC_CSUM:
		return E4_GATE_DESC_CSUM;
	case E4_CHECK_BBITMAP_CSUM:
		return E4_GATE_BBITMAP_CSUM;
	case E4_CHECK_IBITMAP_CSUM:
		return E4_GATE_IBITMAP_CSUM;
	case E4_CHECK_IBITMAP_PADDING:
		return E4_GATE_IBITMAP_PADDING;
	case E4_CHECK_SB_CSUM:
		return E4_GATE_NR;	/* super_gates has it already */
	default:
		return E4_GATE_COUNTS;
	}
}

/* "the block bitmap checksum", the subject of a checksum finding. */
static const char *csum_subject(enum e4_gate_what what)
{
	switch (what) {
	case E4_GATE_DESC_CSUM:
		return "descriptor";
	case E4_GATE_BBITMAP_CSUM:
		return "block bitmap";
	default:
		return "inode bitmap";
	}
}

static int count_words(const struct e4_check_finding *f, char *buf, size_t len)
{
	static const char *const what[] = {
		[E4_CHECK_FREE_BLOCKS] = "free blocks",
		[E4_CHECK_FREE_INODES] = "free inodes",
		[E4_CHECK_SB_FREE_BLOCKS] = "free blocks",
		[E4_CHECK_SB_FREE_INODES] = "free inodes",
	};
	char where[32];

	if (f->group == E4_CHECK_SUPERBLOCK)
		snprintf(where, sizeof(where), "superblock");
	else
		snprintf(where, sizeof(where), "group %u", f->group);
	return snprintf(buf, len, "%s %s: %llu stored, %llu counted", where,
			f->what < sizeof(what) / sizeof(what[0]) && what[f->what] ?
			what[f->what] : "count",
			(unsigned long long)f->found,
			(unsigned long long)f->expected);
}

/* One finding per kind out of the check engine's per-group list. */
static int check_gates(struct builder *b, const struct e4_check_result *cr)
{
	enum e4_gate_what k;

	for (k = E4_GATE_COUNTS; k < E4_GATE_NR; k++) {
		const struct e4_check_finding *first = NULL;
		char groups[64] = "", one[96];
		uint32_t n = 0;
		size_t i, used = 0;
		struct e4_gate_finding *f;

		for (i = 0; i < cr->nfindings; i++) {
			const struct e4_check_finding *cf = &cr->findings[i];

			if (gate_of(cf->what) != k)
				continue;
			if (!first)
				first = cf;
			if (n < GROUPS_NAMED && used < sizeof(groups))
				used += snprintf(groups + used, sizeof(groups) - used,
						 "%s%u", n ? ", " : "", cf->group);
			n++;
		}
		if (!n)
			continue;
		if (k == E4_GATE_IBITMAP_PADDING) {
			f = add(b, k, "the padding at the end of the inode bitmap of %s %s is not set (%s)",
				n == 1 ? "group" : "groups", groups,
				n > GROUPS_NAMED ? "..." : "e2fsck sets it");
		} else if (k == E4_GATE_COUNTS) {
			count_words(first, one, sizeof(one));
			f = n == 1 ?
			    add(b, k, "a free count disagrees with the bitmaps (%s)", one) :
			    add(b, k, "%u free counts disagree with the bitmaps (%s, ...)", n, one);
		} else if (n == 1) {
			/* Descriptor checksums as e2fsck prints them: 16 bits. */
			f = add(b, k, k == E4_GATE_DESC_CSUM ?
				"the %s checksum of group %u is wrong (0x%04llx stored, 0x%04llx computed)" :
				"the %s checksum of group %u is wrong (0x%llx stored, 0x%llx computed)",
				csum_subject(k), first->group,
				(unsigned long long)first->found,
				(unsigned long long)first->expected);
		} else {
			f = add(b, k, "the %s checksums of %u groups are wrong (groups %s%s)",
				csum_subject(k), n, groups, n > GROUPS_NAMED ? ", ..." : "");
		}
		if (!f)
			return -ENOMEM;
		f->count = n;
	}
	return 0;
}

int e4_gate_run(struct e4_fs *efs, struct e4_gate_result *res,
		struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	const char *name = e4_target_name(e4_fs_target(efs));
	struct builder b = { .res = res };
	struct e4_check_result cr = { 0 };
	int rc;

	memset(res, 0, sizeof(*res));
	rc = state_gates(&b, fs->super);
	if (!rc)
		rc = super_gates(&b, fs);
	if (!rc)
		rc = desc_gate(&b, fs);
	if (rc)
		goto out_nomem;
	rc = e4_check_run(efs, 0, NULL, &cr, err);
	if (rc) {
		e4_gate_result_free(res);
		e4_err_append(err, "; the safety checks could not run, nothing was written");
		return rc;
	}
	rc = check_gates(&b, &cr);
	e4_check_result_free(&cr);
	if (rc)
		goto out_nomem;
	return 0;
out_nomem:
	e4_gate_result_free(res);
	return e4_err_sys(err, rc, "%s: while checking the filesystem", name);
}

void e4_gate_result_free(struct e4_gate_result *res)
{
	free(res->findings);
	res->findings = NULL;
	res->n = 0;
}

bool e4_gate_refuses(const struct e4_gate_finding *f, bool force)
{
	return f->hard || !force;
}

void e4_gate_refusal(const struct e4_gate_finding *f, const char *name,
		     char *buf, size_t len)
{
	snprintf(buf, len, f->hard ?
		 "%s; run 'e2fsck -f %s' (--force does not override this)" :
		 "%s; run 'e2fsck -f %s' first, or use --force", f->msg, name);
}

int e4_gate_check(const struct e4_gate_result *res, const char *name,
		  bool force, struct e4_err *err)
{
	const struct e4_gate_finding *first = NULL;
	char buf[400];
	size_t i, more = 0;

	for (i = 0; i < res->n; i++) {
		if (!e4_gate_refuses(&res->findings[i], force))
			continue;
		if (first)
			more++;
		else
			first = &res->findings[i];
	}
	if (!first)
		return 0;
	e4_gate_refusal(first, name, buf, sizeof(buf));
	e4_err_set(err, -EUCLEAN, "%s: %s", name, buf);
	if (more)
		e4_err_append(err, " (and %zu more problem%s)", more,
			      more == 1 ? "" : "s");
	return -EUCLEAN;
}
