// SPDX-License-Identifier: GPL-2.0
/*
 * What check, delalloc audit and wb show report under --openmetrics: one
 * function per audit, from the engine's result.  Counts by kind are
 * written for every kind, zero included, so that an alert on a kind works
 * before the first problem of that kind has ever been seen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "openmetrics.h"

/* A sample per finding: the value expected, or the one found. */
static void finding_samples(struct e4_om *om, const struct e4_check_result *res,
			    bool expected)
{
	char group[16];
	size_t i;

	for (i = 0; i < res->nfindings; i++) {
		const struct e4_check_finding *fi = &res->findings[i];

		if (fi->group == E4_CHECK_SUPERBLOCK)
			snprintf(group, sizeof(group), "superblock");
		else
			snprintf(group, sizeof(group), "%u", fi->group);
		e4_om_u64(om, expected ? fi->expected : fi->found, "group",
			  group, "what", e4_check_what_name(fi->what), NULL);
	}
}

int e4_metrics_check(FILE *f, const struct e4_target *t,
		     const struct e4_check_result *res, bool advisory,
		     bool frozen, time_t when)
{
	const char *const labels[] = {
		"device", e4_target_name(t),
		"mountpoint", t->mounted ? t->mountpoint : "", NULL
	};
	struct e4_om om;
	size_t i;
	int w;

	e4_om_init(&om, f, labels);
	e4_om_gauge(&om, "e4ctl_check_timestamp_seconds",
		    "When the audit ended, in seconds since the epoch.");
	e4_om_u64(&om, when, NULL);
	e4_om_gauge(&om, "e4ctl_check_clean",
		    "1 when the audit found nothing, 0 otherwise.");
	e4_om_u64(&om, res->nfindings == 0, NULL);
	e4_om_gauge(&om, "e4ctl_check_advisory",
		    "1 when mounted and not frozen: the findings may only be metadata the journal has not written yet.");
	e4_om_u64(&om, advisory, NULL);
	e4_om_gauge(&om, "e4ctl_check_frozen",
		    "1 when the filesystem was frozen while it was read.");
	e4_om_u64(&om, frozen, NULL);
	e4_om_gauge(&om, "e4ctl_check_groups", "Block groups checked.");
	e4_om_u64(&om, res->groups, NULL);
	e4_om_gauge(&om, "e4ctl_check_free_blocks",
		    "Free blocks counted in the block bitmaps.");
	e4_om_u64(&om, res->free_blocks, NULL);
	e4_om_gauge(&om, "e4ctl_check_free_inodes",
		    "Free inodes counted in the inode bitmaps.");
	e4_om_u64(&om, res->free_inodes, NULL);

	e4_om_gauge(&om, "e4ctl_check_findings",
		    "Findings of the audit, by what disagrees.");
	for (w = E4_CHECK_FREE_BLOCKS; w <= E4_CHECK_SB_FREE_INODES; w++) {
		uint64_t n = 0;

		for (i = 0; i < res->nfindings; i++)
			n += res->findings[i].what == (enum e4_check_what)w;
		e4_om_u64(&om, n, "what", e4_check_what_name(w), NULL);
	}
	/* One sample per finding: findings are few, and the group matters. */
	if (res->nfindings) {
		e4_om_gauge(&om, "e4ctl_check_finding_expected",
			    "The value the bitmaps (or the checksum) call for, per finding.");
		finding_samples(&om, res, true);
		e4_om_gauge(&om, "e4ctl_check_finding_found",
			    "The value stored in the descriptor or superblock, per finding.");
		finding_samples(&om, res, false);
	}
	return e4_om_end(&om);
}

/* As the human verdict: findings, or every condition for "consistent". */
static bool da_judged(const struct e4_da_report *r)
{
	return r->nfindings || (r->quiesced && r->stable && !r->partial &&
				!r->subtree && !r->files_skipped);
}

#define DA_GAUGE(om, name, help, val)                                          \
	do {                                                                   \
		e4_om_gauge(om, "e4ctl_delalloc_" name, help);                 \
		e4_om_u64(om, val, NULL);                                      \
	} while (0)

int e4_metrics_delalloc(FILE *f, const struct e4_target *t,
			const struct e4_da_report *r, time_t when)
{
	static const char *const kinds[] = {
		[E4_DA_LEAK] = "leak", [E4_DA_STALE] = "stale",
		[E4_DA_MISMATCH] = "mismatch",
	};
	const char *const labels[] = {
		"device", e4_target_name(t), "mountpoint", r->mountpoint, NULL
	};
	uint64_t count[3] = { 0 };
	int64_t blocks[3] = { 0 };
	struct e4_om om;
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		count[r->findings[i].kind]++;
		blocks[r->findings[i].kind] += r->findings[i].blocks;
	}
	e4_om_init(&om, f, labels);
	DA_GAUGE(&om, "timestamp_seconds",
		 "When the audit ended, in seconds since the epoch.", when);
	DA_GAUGE(&om, "judged",
		 "1 when the audit could judge (quiesced, stable counter, whole filesystem walked).",
		 da_judged(r));
	DA_GAUGE(&om, "quiesced", "1 when synced or frozen for the audit.",
		 r->quiesced);
	DA_GAUGE(&om, "stable",
		 "1 when every sample of the counter was equal.", r->stable);
	DA_GAUGE(&om, "delayed_allocation_blocks",
		 "The filesystem's delayed_allocation_blocks after the walk.",
		 r->counter);
	DA_GAUGE(&om, "file_reserved_blocks",
		 "Blocks the files' delayed extents need reserved, summed.",
		 r->file_sum);
	DA_GAUGE(&om, "file_delalloc_blocks",
		 "Blocks in the files' delayed extents, summed.", r->delalloc_sum);
	e4_om_gauge(&om, "e4ctl_delalloc_difference_blocks",
		    "The counter minus the files' reserved blocks.");
	e4_om_i64(&om, r->difference, NULL);
	DA_GAUGE(&om, "reserved_clusters",
		 "The filesystem's separate reserve pool, in clusters.",
		 r->reserved_clusters);
	DA_GAUGE(&om, "files_scanned", "Regular files walked.", r->files_scanned);
	DA_GAUGE(&om, "files_holding",
		 "Files holding delayed extents or dirty pages.", r->files_holding);
	DA_GAUGE(&om, "files_skipped",
		 "Files that vanished or could not be read.", r->files_skipped);
	DA_GAUGE(&om, "statfs_free_blocks", "Free blocks as statfs reports them.",
		 r->statfs_free);
	if (r->disk_known) {
		DA_GAUGE(&om, "disk_free_blocks",
			 "Free blocks in the group descriptors on disk.", r->disk_free);
		DA_GAUGE(&om, "sb_free_blocks",
			 "Free blocks in the superblock on disk.", r->sb_free);
	}
	e4_om_gauge(&om, "e4ctl_delalloc_findings", "Findings, by kind.");
	for (i = 0; i < 3; i++)
		e4_om_u64(&om, count[i], "kind", kinds[i], NULL);
	e4_om_gauge(&om, "e4ctl_delalloc_finding_blocks",
		    "Blocks the findings concern, summed by kind.");
	for (i = 0; i < 3; i++)
		e4_om_i64(&om, blocks[i], "kind", kinds[i], NULL);
	return e4_om_end(&om);
}

/* The per-context figures: which group of fields holds them, and where. */
enum wb_src { WB_CTX, WB_MEM, WB_IO, WB_CGSTAT };

static const struct wb_metric {
	const char *name;
	const char *help;
	enum wb_src src;
	size_t off;
} wb_metrics[] = {
	{ "e4ctl_wb_dirty_bytes", "Dirty bytes not yet under writeback (WbReclaimable).", WB_CTX, offsetof(struct e4_wb_ctx, reclaimable) },
	{ "e4ctl_wb_writeback_bytes", "Bytes under writeback.", WB_CTX, offsetof(struct e4_wb_ctx, writeback) },
	{ "e4ctl_wb_dirtied_bytes", "Bytes dirtied since the context was created.", WB_CTX, offsetof(struct e4_wb_ctx, dirtied) },
	{ "e4ctl_wb_written_bytes", "Bytes written since the context was created.", WB_CTX, offsetof(struct e4_wb_ctx, written) },
	{ "e4ctl_wb_bandwidth_bytes_per_second", "Estimated write bandwidth.", WB_CTX, offsetof(struct e4_wb_ctx, bandwidth) },
	{ "e4ctl_wb_threshold_bytes", "The context's dirty threshold.", WB_CTX, offsetof(struct e4_wb_ctx, thresh) },
	{ "e4ctl_wb_inodes_dirty", "Inodes on the dirty list.", WB_CTX, offsetof(struct e4_wb_ctx, b_dirty) },
	{ "e4ctl_wb_inodes_dirty_time", "Inodes with only dirty timestamps.", WB_CTX, offsetof(struct e4_wb_ctx, b_dirty_time) },
	{ "e4ctl_wb_cgroup_file_dirty_bytes", "memory.stat file_dirty of the cgroup, all devices.", WB_MEM, offsetof(struct e4_wb_ctx, file_dirty) },
	{ "e4ctl_wb_cgroup_file_writeback_bytes", "memory.stat file_writeback of the cgroup, all devices.", WB_MEM, offsetof(struct e4_wb_ctx, file_writeback) },
	{ "e4ctl_wb_cgroup_io_written_bytes", "io.stat wbytes of the cgroup for this disk.", WB_IO, offsetof(struct e4_wb_ctx, io_wbytes) },
	{ "e4ctl_wb_cgroup_io_write_ios", "io.stat wios of the cgroup for this disk.", WB_IO, offsetof(struct e4_wb_ctx, io_wios) },
	{ "e4ctl_wb_cgroup_dying_descendants", "cgroup.stat nr_dying_descendants.", WB_CGSTAT, offsetof(struct e4_wb_ctx, nr_dying) },
};

static bool wb_has(const struct e4_wb_ctx *c, enum wb_src src)
{
	return src == WB_CTX ? c->has_wb : src == WB_MEM ? c->has_mem :
	       src == WB_IO ? c->has_io : c->has_cgstat;
}

static void wb_family(struct e4_om *om, const struct wb_metric *m,
		      const struct e4_wb_snap *snap, char (*names)[48])
{
	bool any = false;
	size_t i;

	for (i = 0; i < snap->nctx && !any; i++)
		any = wb_has(&snap->ctx[i], m->src);
	/* No context has these figures (no cgroup2 here): no family. */
	if (!any)
		return;
	e4_om_gauge(om, m->name, m->help);
	for (i = 0; i < snap->nctx; i++) {
		const struct e4_wb_ctx *c = &snap->ctx[i];

		if (wb_has(c, m->src))
			e4_om_u64(om, *(const uint64_t *)((const char *)c + m->off),
				  "cgroup", c->path ? c->path : names[i], NULL);
	}
}

int e4_metrics_wb(FILE *f, const struct e4_wb_info *in,
		  const struct e4_wb_snap *snap)
{
	const char *const labels[] = {
		"device", in->device, "mountpoint", in->mountpoint, NULL
	};
	char (*names)[48];
	struct e4_om om;
	size_t i;
	int rc;

	/* A context with no live cgroup is named as the table names it. */
	names = calloc(snap->nctx + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < snap->nctx; i++)
		snprintf(names[i], sizeof(names[i]), "(%s) ino %" PRIu64,
			 snap->ctx[i].cg_state == E4_WB_CG_DYING ? "dying" : "not visible",
			 snap->ctx[i].cg_ino);
	e4_om_init(&om, f, labels);
	e4_om_gauge(&om, "e4ctl_wb_timestamp_seconds",
		    "When the contexts were read, in seconds since the epoch.");
	e4_om_u64(&om, snap->time.tv_sec, NULL);
	e4_om_gauge(&om, "e4ctl_wb_cgroup_writeback",
		    "1 when cgroup writeback is in effect for the filesystem.");
	e4_om_u64(&om, in->mode == E4_WB_ACTIVE, NULL);
	e4_om_gauge(&om, "e4ctl_wb_dirty_threshold_bytes",
		    "The global dirty threshold.");
	e4_om_u64(&om, snap->dirty_thresh, NULL);
	e4_om_gauge(&om, "e4ctl_wb_background_threshold_bytes",
		    "The global background writeback threshold.");
	e4_om_u64(&om, snap->background_thresh, NULL);
	e4_om_gauge(&om, "e4ctl_wb_contexts", "Writeback contexts of the bdi.");
	e4_om_u64(&om, snap->nctx, NULL);
	for (i = 0; i < sizeof(wb_metrics) / sizeof(wb_metrics[0]); i++)
		wb_family(&om, &wb_metrics[i], snap, names);
	rc = e4_om_end(&om);
	free(names);
	return rc;
}
