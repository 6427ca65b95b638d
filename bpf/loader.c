// SPDX-License-Identifier: GPL-2.0
/* The loader of fwgate's BPF programs; see loader.h and Documentation/fwgate/bpf.rst. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/dm-ioctl.h>
#include <linux/mmc/ioctl.h>
#include <linux/nvme_ioctl.h>
#include <mtd/mtd-abi.h>
#include <mtd/ubi-user.h>
#include <scsi/sg.h>
#include <scsi/scsi_ioctl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "loader.h"
#include "guard.skel.h"
#include "filter.skel.h"
#include "egress.skel.h"

#define FWGATE_SYSFS	"/sys/kernel/fwgate"
#define MTD_CHAR_MAJOR	90
#define MTD_BLOCK_MAJOR	31
#define MAX_KEYS	1024

const char *const fwg_guard_reason_names[GUARD_NR_REASONS] = {
	[GUARD_WRITE_OPEN] = "write_open",
	[GUARD_DISCARD] = "discard",
	[GUARD_PASSTHROUGH] = "passthrough",
	[GUARD_READONLY] = "blkroset",
	[GUARD_PARTITION] = "blkpg",
	[GUARD_MTD_WRITE] = "mtd_write",
	[GUARD_DM_TABLE] = "dm_table",
	[GUARD_UBI_ATTACH] = "ubi_attach",
	[GUARD_WRITE_FD] = "write_fd",
	[GUARD_MMAP_WRITE] = "mmap_write",
	[GUARD_SELF] = "self",
	[GUARD_KERNEL_CODE] = "kernel_code",
	[GUARD_HOTPLUG] = "hotplug",
	[GUARD_EVENTS_LOST] = "events_lost",
};

const char *const fwg_filter_counter_names[FILTER_NR_COUNTERS] = {
	[FILTER_PASSED] = "passed",
	[FILTER_UPDATE_ACCEPTED] = "update_accepted",
	[FILTER_RELAY_ACCEPTED] = "relay_accepted",
	[FILTER_DROP_NOT_ALLOWED] = "drop_not_allowed",
	[FILTER_DROP_RATE] = "drop_rate",
	[FILTER_DROP_MALFORMED] = "drop_malformed",
};

const char *const fwg_egress_counter_names[EGRESS_NR_COUNTERS] = {
	[EGRESS_ALLOWED] = "allowed",
	[EGRESS_DENIED] = "denied",
};

/* The ioctls the guard denies on a protected device node, by reason; matched by type and number. */
static const struct {
	uint32_t cmd;
	uint32_t reason;
} guarded_ioctls[] = {
	{ BLKDISCARD, GUARD_DISCARD },
	{ BLKSECDISCARD, GUARD_DISCARD },
	{ BLKZEROOUT, GUARD_DISCARD },
	{ SG_IO, GUARD_PASSTHROUGH },
	{ SCSI_IOCTL_SEND_COMMAND, GUARD_PASSTHROUGH },
	{ NVME_IOCTL_ADMIN_CMD, GUARD_PASSTHROUGH },
	{ NVME_IOCTL_SUBMIT_IO, GUARD_PASSTHROUGH },
	{ NVME_IOCTL_IO_CMD, GUARD_PASSTHROUGH },
	{ NVME_IOCTL_ADMIN64_CMD, GUARD_PASSTHROUGH },
	{ NVME_IOCTL_IO64_CMD, GUARD_PASSTHROUGH },
	{ NVME_IOCTL_IO64_CMD_VEC, GUARD_PASSTHROUGH },
	{ MMC_IOC_CMD, GUARD_PASSTHROUGH },
	{ MMC_IOC_MULTI_CMD, GUARD_PASSTHROUGH },
	{ BLKROSET, GUARD_READONLY },
	{ BLKPG, GUARD_PARTITION },
	{ MEMERASE, GUARD_MTD_WRITE },
	{ MEMERASE64, GUARD_MTD_WRITE },
	{ MEMWRITEOOB, GUARD_MTD_WRITE },
	{ MEMWRITEOOB64, GUARD_MTD_WRITE },
	{ MEMWRITE, GUARD_MTD_WRITE },
	{ MEMLOCK, GUARD_MTD_WRITE },
	{ MEMUNLOCK, GUARD_MTD_WRITE },
	{ MEMSETBADBLOCK, GUARD_MTD_WRITE },
	{ OTPLOCK, GUARD_MTD_WRITE },
	{ OTPERASE, GUARD_MTD_WRITE },
};

/* libbpf's messages, one log line per line (the verifier's log comes as one message). */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf, *line, *save;

	/* Whole: a verifier log comes in one call and its last lines say why. */
	if (vasprintf(&buf, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (level == LIBBPF_WARN)
			log_warnx("%s", line);
		else if (level == LIBBPF_INFO)
			log_info("%s", line);
		else
			log_debug("%s", line);
	}
	free(buf);
	return 0;
}

static void route_libbpf_log(void)
{
	libbpf_set_print(libbpf_log);
}

static void percpu_sum(int fd, uint64_t *out, unsigned int n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL;
	unsigned int i;
	int c;

	for (i = 0; i < n; i++) {
		out[i] = 0;
		if (v && !bpf_map_lookup_elem(fd, &i, v))
			for (c = 0; c < ncpu; c++)
				out[i] += v[c];
	}
	free(v);
}

int fwg_bpf_pinned_counters(const char *path, uint64_t *out, unsigned int n)
{
	/* Read-only: a sealed guard refuses any other fd to its counters. */
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	int fd = bpf_obj_get_opts(path, &ro);

	if (fd < 0)
		return -errno;
	percpu_sum(fd, out, n);
	close(fd);
	return 0;
}

/*
 * Makes the set of keys of @fd exactly @keys (@n keys of @key_size bytes): adds the new ones first, then
 * deletes the ones not in @keys, so that an entry present before and after never disappears.
 */
static int map_replace(int fd, size_t key_size, const void *keys, unsigned int n)
{
	uint8_t *old = malloc(MAX_KEYS * key_size), one = 1;
	unsigned int i, j, n_old = 0;
	void *prev = NULL;
	int err = 0;

	if (!old)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const uint8_t *)keys + i * key_size, &one, BPF_ANY)) {
			err = -errno;
			log_warn("allow-list update");
			goto out;
		}
	while (n_old < MAX_KEYS && !bpf_map_get_next_key(fd, prev, old + n_old * key_size)) {
		prev = old + n_old * key_size;
		n_old++;
	}
	for (i = 0; i < n_old; i++) {
		for (j = 0; j < n; j++)
			if (!memcmp(old + i * key_size, (const uint8_t *)keys + j * key_size, key_size))
				break;
		if (j == n && bpf_map_delete_elem(fd, old + i * key_size) && errno != ENOENT) {
			err = -errno;
			log_warn("allow-list delete");
		}
	}
out:
	free(old);
	return err;
}

static int pin_map(struct bpf_map *map, const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_map__pin(map, path)) {
		log_warn("pin %s", path);
		return -1;
	}
	return 0;
}

static int pin_link(struct bpf_link *link, const char *dir, const char *name)
{
	char path[512];

	if (!link)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bpf_link__pin(link, path)) {
		log_warn("pin %s", path);
		return -1;
	}
	return 0;
}

static int make_pin_dir(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_warn("%s", dir);
		return -1;
	}
	return 0;
}

int fwg_bpf_unpin(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d) {
		log_warn("%s", dir);
		return -1;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (unlink(path)) {
				log_warn("%s", path);
				err = -1;
			}
		}
	closedir(d);
	/*
	 * The default directory stays: systemd-tmpfiles made it, and fwgated.service can write there only if it
	 * exists when the unit starts (ReadWritePaths= under a read-only /sys/fs/bpf).
	 */
	if (!err && strcmp(dir, FWG_BPF_PIN_DIR) && rmdir(dir))
		log_warn("%s", dir);
	return err;
}

/* ------------------------------------------------------------------ guard */

struct fwg_guard {
	struct guard_bpf *skel;		/* NULL for a pinned guard opened by fwg_guard_open_pinned() */
	int events_fd, stats_fd;
	struct ring_buffer *rb;
	fwg_guard_event_fn fn;
	void *fn_arg;
};

/* The attributes that remove, rescan, add or rebind devices (sysfs), and nvmet's backing device (configfs). */
static const char *const hotplug_attrs[] = {
	"remove", "delete", "rescan", "scan", "add_host", "bind", "unbind", "new_id", "device_path",
};

static const char *const hook_names[GUARD_NR_HOOKS] = {
	[GUARD_HOOK_FILE_OPEN] = "file_open",
	[GUARD_HOOK_FILE_IOCTL] = "file_ioctl",
	[GUARD_HOOK_FILE_PERMISSION] = "file_permission",
	[GUARD_HOOK_MMAP_FILE] = "mmap_file",
	[GUARD_HOOK_FILE_MPROTECT] = "file_mprotect",
	[GUARD_HOOK_URING_CMD] = "uring_cmd",
	[GUARD_HOOK_BPF] = "bpf",
	[GUARD_HOOK_BPF_MAP] = "bpf_map",
	[GUARD_HOOK_BPF_PROG] = "bpf_prog",
	[GUARD_HOOK_INODE] = "inode",
	[GUARD_HOOK_SB_UMOUNT] = "sb_umount",
	[GUARD_HOOK_PTRACE] = "ptrace_access_check",
	[GUARD_HOOK_KERNEL_READ_FILE] = "kernel_read_file",
	[GUARD_HOOK_KERNEL_LOAD_DATA] = "kernel_load_data",
};

const char *fwg_guard_hook_name(unsigned int hook)
{
	return hook < GUARD_NR_HOOKS && hook_names[hook] ? hook_names[hook] : "?";
}

/* Reads "MAJ:MIN" from @path into a kernel dev_t (major << 20 | minor). */
static int read_devt(const char *path, uint32_t *dev)
{
	unsigned int ma, mi;
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	if (n != 2 || ma > 0xfff || mi > 0xfffff) {
		log_warnx("%s: not MAJOR:MINOR", path);
		return -EINVAL;
	}
	*dev = ma << 20 | mi;
	return 0;
}

static int protect(struct fwg_guard *g, uint32_t dev, uint32_t what)
{
	int fd = bpf_map__fd(g->skel->maps.protected);

	if (bpf_map_update_elem(fd, &dev, &what, BPF_ANY)) {
		log_warn("protect %u:%u", dev >> 20, dev & 0xfffff);
		return -errno;
	}
	log_debug("protecting %u:%u", dev >> 20, dev & 0xfffff);
	return 0;
}

/*
 * The character devices that reach the same disk as block device @disk: SCSI generic and bsg nodes, an NVMe
 * controller and its generic namespace nodes. The pattern needs the disk's sysfs device directory.
 */
static int protect_disk_aliases(struct fwg_guard *g, uint32_t disk)
{
	static const char *const classes[] = { "scsi_generic", "bsg", "nvme", "nvme-generic" };
	char pattern[128], subsys[512], link[512];
	uint32_t dev, what;
	unsigned int i, k;
	glob_t gl;
	ssize_t n;
	int err = 0;

	snprintf(pattern, sizeof(pattern), "/sys/dev/block/%u:%u/device/{dev,*/dev,*/*/dev}", disk >> 20,
		 disk & 0xfffff);
	if (glob(pattern, GLOB_BRACE, NULL, &gl))
		return 0;
	for (i = 0; i < gl.gl_pathc && !err; i++) {
		snprintf(subsys, sizeof(subsys), "%.*s/subsystem",
			 (int)(strrchr(gl.gl_pathv[i], '/') - gl.gl_pathv[i]), gl.gl_pathv[i]);
		n = readlink(subsys, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		for (k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
			if (strcmp(strrchr(link, '/') + 1, classes[k]) || read_devt(gl.gl_pathv[i], &dev))
				continue;
			what = GUARD_DENY_WRITE_OPEN | GUARD_DENY_IOCTL;
			if (!strcmp(classes[k], "nvme-generic") && g->skel->rodata->deny_any_open)
				what |= GUARD_DENY_ANY_OPEN;
			err = protect(g, dev, what);
		}
	}
	globfree(&gl);
	return err;
}

/* A block device with everything that reaches its disk: the disk itself and the disk's character nodes. */
static int protect_block(struct fwg_guard *g, uint32_t dev, uint32_t disk)
{
	const uint32_t all = GUARD_DENY_WRITE_OPEN | GUARD_DENY_IOCTL;
	int err = protect(g, dev, all);

	if (!err && disk != dev)
		err = protect(g, disk, all);
	return err ?: protect_disk_aliases(g, disk);
}

/* An MTD character device, its read-only node /dev/mtdNro and /dev/mtdblockN over it. */
static int protect_mtd(struct fwg_guard *g, uint32_t dev)
{
	const uint32_t all = GUARD_DENY_WRITE_OPEN | GUARD_DENY_IOCTL;

	return protect(g, dev, all) ?: protect(g, dev | 1, all) ?:
	       protect(g, MTD_BLOCK_MAJOR << 20 | (dev & 0xfffff) >> 1, all);
}

static int protect_target(struct fwg_guard *g, const char *dir)
{
	char path[512];
	uint32_t dev, disk;
	int err;

	snprintf(path, sizeof(path), "%s/dev", dir);
	err = read_devt(path, &dev);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/disk_dev", dir);
	err = read_devt(path, &disk);
	if (err)
		return err;
	if (dev >> 20 != MTD_CHAR_MAJOR)
		return protect_block(g, dev, disk);
	/* The MTD partition and its master. */
	err = protect_mtd(g, dev);
	return err || disk == dev ? err : protect_mtd(g, disk);
}

/* "PARTLABEL=NAME": the partition whose uevent names it, as fwgate.ko resolves it. */
static int devt_by_partname(const char *name, uint32_t *dev)
{
	char line[300], want[300], path[512];
	int found = -ENOENT;
	size_t i;
	glob_t gl;
	FILE *f;

	snprintf(want, sizeof(want), "PARTNAME=%s\n", name);
	if (glob("/sys/class/block/*/uevent", 0, NULL, &gl))
		return -ENOENT;
	for (i = 0; i < gl.gl_pathc && found; i++) {
		f = fopen(gl.gl_pathv[i], "r");
		if (!f)
			continue;
		while (found && fgets(line, sizeof(line), f))
			if (!strcmp(line, want)) {
				snprintf(path, sizeof(path), "%.*s/dev", (int)(strlen(gl.gl_pathv[i]) - 7),
					 gl.gl_pathv[i]);
				found = read_devt(path, dev);
			}
		fclose(f);
	}
	globfree(&gl);
	return found;
}

/* The state store's device number from fwgate.ko's spec: PARTLABEL=, PARTUUID=, a path or MAJ:MIN. */
static int resolve_store(const char *spec, uint32_t *dev)
{
	unsigned int ma, mi;
	char path[300], end;
	struct stat st;

	if (!strncmp(spec, "PARTLABEL=", 10))
		return devt_by_partname(spec + 10, dev);
	if (sscanf(spec, "%u:%u%c", &ma, &mi, &end) == 2 && ma <= 0xfff && mi <= 0xfffff) {
		*dev = ma << 20 | mi;
		return 0;
	}
	if (!strncmp(spec, "PARTUUID=", 9))
		snprintf(path, sizeof(path), "/dev/disk/by-partuuid/%s", spec + 9);
	else
		snprintf(path, sizeof(path), "%s", spec);
	if (stat(path, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	*dev = major(st.st_rdev) << 20 | minor(st.st_rdev);
	return 0;
}

/* The rollback state store: fwgate.ko writes it with bios; nothing else may. */
static int protect_store(struct fwg_guard *g, const char *sysfs)
{
	char path[300], spec[256] = "";
	uint32_t dev, disk;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/state_device", sysfs);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(spec, sizeof(spec), f))
		spec[0] = '\0';
	fclose(f);
	spec[strcspn(spec, "\n")] = '\0';
	if (!spec[0])
		return 0;
	err = resolve_store(spec, &dev);
	if (err) {
		log_warnx("guard: state store %s: can not find its device: %s", spec, strerror(-err));
		return err;
	}
	/* A partition's disk is its sysfs directory's parent. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", dev >> 20, dev & 0xfffff);
	if (access(path, F_OK) || read_devt(path, &disk))
		disk = dev;
	return protect_block(g, dev, disk);
}

/* The targets' and the state store's device numbers, from fwgate.ko's sysfs directory. */
static int guard_fill_protected(struct fwg_guard *g, const char *sysfs)
{
	char pattern[300];
	glob_t gl;
	size_t i;
	int err = 0;

	snprintf(pattern, sizeof(pattern), "%s/targets/*/dev", sysfs);
	if (!glob(pattern, 0, NULL, &gl)) {
		for (i = 0; i < gl.gl_pathc && !err; i++) {
			*strrchr(gl.gl_pathv[i], '/') = '\0';
			err = protect_target(g, gl.gl_pathv[i]);
		}
		globfree(&gl);
	} else if (access(sysfs, F_OK)) {
		log_warnx("guard: %s: %s (is fwgate.ko loaded?)", sysfs, strerror(errno));
		return -ENOENT;
	}
	return err ?: protect_store(g, sysfs);
}

static int guard_fill_rules(struct fwg_guard *g, const struct fwg_guard_opts *opts)
{
	int fd = bpf_map__fd(g->skel->maps.ioctl_deny);
	char name[GUARD_NAME_LEN];
	uint32_t key, reason;
	size_t i;

	for (i = 0; i < sizeof(guarded_ioctls) / sizeof(guarded_ioctls[0]); i++) {
		key = GUARD_IOCTL_KEY(guarded_ioctls[i].cmd);
		if (bpf_map_update_elem(fd, &key, &guarded_ioctls[i].reason, BPF_ANY))
			return -errno;
	}
	fd = bpf_map__fd(g->skel->maps.hotplug_deny);
	reason = GUARD_HOTPLUG;
	for (i = 0; i < sizeof(hotplug_attrs) / sizeof(hotplug_attrs[0]); i++) {
		memset(name, 0, sizeof(name));
		strncpy(name, hotplug_attrs[i], sizeof(name) - 1);
		if (bpf_map_update_elem(fd, name, &reason, BPF_ANY))
			return -errno;
	}
	if (opts->allow_dm)
		return 0;
	key = GUARD_IOCTL_KEY(DM_TABLE_LOAD);
	reason = GUARD_DM_TABLE;
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.ioctl_deny_any), &key, &reason, BPF_ANY))
		return -errno;
	return 0;
}

/* The rules are complete: the kernel refuses any later change to them through bpf(2). */
static int guard_freeze_rules(struct fwg_guard *g)
{
	struct bpf_map *maps[] = { g->skel->maps.protected, g->skel->maps.ioctl_deny, g->skel->maps.ioctl_deny_any,
				   g->skel->maps.hotplug_deny, g->skel->maps.stats };
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (bpf_map_freeze(bpf_map__fd(maps[i]))) {
			log_warn("guard: freeze %s", bpf_map__name(maps[i]));
			return -errno;
		}
	return 0;
}

static int guard_event(void *ctx, void *data, size_t size)
{
	struct fwg_guard *g = ctx;

	if (size >= sizeof(struct guard_event) && g->fn)
		g->fn(data, g->fn_arg);
	return 0;
}

/*
 * Hooks that only newer kernels have: file_ioctl_compat since 6.8; uring_cmd since 6.0. Without uring_cmd, the
 * NVMe generic nodes of protected disks can not be opened at all (GUARD_DENY_ANY_OPEN).
 */
static void skip_missing_hooks(struct guard_bpf *s)
{
	static const char *const optional[] = { "file_ioctl_compat", "uring_cmd" };
	struct bpf_program *progs[] = { s->progs.guard_file_ioctl_compat, s->progs.guard_uring_cmd };
	size_t i;

	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		if (libbpf_find_vmlinux_btf_id(optional[i], BPF_LSM_MAC) < 0) {
			log_info("guard: this kernel has no %s hook", optional[i]);
			bpf_program__set_autoload(progs[i], false);
			if (progs[i] == s->progs.guard_uring_cmd)
				s->rodata->deny_any_open = true;
		}
}

struct fwg_guard *fwg_guard_start(const struct fwg_guard_opts *opts)
{
	struct fwg_guard *g = calloc(1, sizeof(*g));
	int err;

	route_libbpf_log();
	if (!g)
		return NULL;
	g->events_fd = g->stats_fd = -1;
	g->skel = guard_bpf__open();
	if (!g->skel) {
		log_warn("guard: open");
		goto fail;
	}
	g->skel->rodata->ubi_attach_key = GUARD_IOCTL_KEY(UBI_IOCATT);
	g->skel->rodata->signed_modules = opts->signed_modules;
	skip_missing_hooks(g->skel);
	err = guard_bpf__load(g->skel);
	if (err) {
		log_warnx("guard: load: %s", strerror(-err));
		goto fail;
	}
	err = guard_fill_rules(g, opts);
	if (err) {
		log_warnx("guard: rules: %s", strerror(-err));
		goto fail;
	}
	err = guard_fill_protected(g, opts->sysfs ? opts->sysfs : FWGATE_SYSFS);
	if (err || guard_freeze_rules(g))
		goto fail;
	g->events_fd = bpf_map__fd(g->skel->maps.events);
	g->stats_fd = bpf_map__fd(g->skel->maps.stats);
	g->rb = ring_buffer__new(g->events_fd, guard_event, g, NULL);
	if (!g->rb) {
		log_warn("guard: ring buffer");
		goto fail;
	}
	/* Enforcing from here on: the protected set is complete and frozen. */
	err = guard_bpf__attach(g->skel);
	if (err) {
		log_warnx("guard: attach: %s (is bpf in /sys/kernel/security/lsm?)", strerror(-err));
		goto fail;
	}
	return g;
fail:
	fwg_guard_destroy(g);
	return NULL;
}

struct fwg_guard *fwg_guard_open_pinned(const char *dir)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	struct fwg_guard *g = calloc(1, sizeof(*g));
	char path[512];

	route_libbpf_log();
	if (!g)
		return NULL;
	snprintf(path, sizeof(path), "%s/guard_events", dir);
	g->events_fd = bpf_obj_get(path);
	if (g->events_fd < 0) {
		log_warn("guard: %s", path);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/guard_stats", dir);
	g->stats_fd = bpf_obj_get_opts(path, &ro);
	if (g->stats_fd < 0) {
		log_warn("guard: %s", path);
		goto fail;
	}
	g->rb = ring_buffer__new(g->events_fd, guard_event, g, NULL);
	if (!g->rb) {
		log_warn("guard: ring buffer");
		goto fail;
	}
	return g;
fail:
	fwg_guard_destroy(g);
	return NULL;
}

int fwg_guard_poll(struct fwg_guard *g, int timeout_ms, fwg_guard_event_fn fn, void *arg)
{
	g->fn = fn;
	g->fn_arg = arg;
	return ring_buffer__poll(g->rb, timeout_ms);
}

void fwg_guard_counters(const struct fwg_guard *g, uint64_t out[GUARD_NR_REASONS])
{
	percpu_sum(g->stats_fd, out, GUARD_NR_REASONS);
}

static const struct bpf_object_skeleton *guard_skeleton(const struct fwg_guard *g)
{
	return g->skel->skeleton;
}

int fwg_guard_pin(struct fwg_guard *g, const char *dir)
{
	const struct bpf_object_skeleton *s;
	int i;

	if (!g->skel) {
		log_warnx("guard: already pinned");
		return -1;
	}
	s = guard_skeleton(g);
	if (make_pin_dir(dir))
		return -1;
	for (i = 0; i < s->prog_cnt; i++)
		if (pin_link(*s->progs[i].link, dir, s->progs[i].name))
			return -1;
	if (pin_map(g->skel->maps.stats, dir, "guard_stats") || pin_map(g->skel->maps.events, dir, "guard_events") ||
	    pin_map(g->skel->maps.protected, dir, "guard_protected"))
		return -1;
	return 0;
}

static int self_add(int fd, uint32_t kind, uint64_t id, uint32_t value)
{
	struct guard_self_key k = { .kind = kind, .id = id };

	if (bpf_map_update_elem(fd, &k, &value, BPF_NOEXIST)) {
		log_warn("guard: self map (%u, %llu)", kind, (unsigned long long)id);
		return -1;
	}
	return 0;
}

static int self_add_obj(int fd, uint32_t kind, int obj_fd, uint32_t value)
{
	union {
		struct bpf_map_info map;
		struct bpf_prog_info prog;
		struct bpf_link_info link;
	} info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(obj_fd, &info, &len)) {
		log_warn("guard: object info");
		return -1;
	}
	return self_add(fd, kind, kind == GUARD_SELF_MAP ? info.map.id : kind == GUARD_SELF_PROG ? info.prog.id :
				  info.link.id, value);
}

/* Every file in @dir, and @dir itself. */
static int self_add_pins(int fd, const char *dir)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d || stat(dir, &st)) {
		log_warn("guard: %s", dir);
		if (d)
			closedir(d);
		return -1;
	}
	err = self_add(fd, GUARD_SELF_PIN_INO, st.st_ino, 0);
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st)) {
			log_warn("guard: %s", path);
			err = -1;
		} else {
			err = self_add(fd, GUARD_SELF_PIN_INO, st.st_ino, 0);
		}
	}
	closedir(d);
	return err;
}

int fwg_guard_seal(struct fwg_guard *g, const char *dir)
{
	const struct bpf_object_skeleton *s;
	struct bpf_program *prog;
	struct bpf_map *map;
	uint32_t fds;
	int fd, i;

	if (fwg_guard_pin(g, dir))
		return -1;
	s = guard_skeleton(g);
	fd = bpf_map__fd(g->skel->maps.self);
	bpf_object__for_each_map(map, g->skel->obj) {
		fds = map == g->skel->maps.stats ? GUARD_SELF_READ_FD :
		      map == g->skel->maps.events ? GUARD_SELF_ANY_FD : GUARD_SELF_NO_FD;
		if (self_add_obj(fd, GUARD_SELF_MAP, bpf_map__fd(map), fds))
			return -1;
	}
	bpf_object__for_each_program(prog, g->skel->obj)
		if (bpf_program__fd(prog) >= 0 && self_add_obj(fd, GUARD_SELF_PROG, bpf_program__fd(prog), 0))
			return -1;
	for (i = 0; i < s->prog_cnt; i++)
		if (*s->progs[i].link && self_add_obj(fd, GUARD_SELF_LINK, bpf_link__fd(*s->progs[i].link), 0))
			return -1;
	if (self_add_pins(fd, dir) || self_add(fd, GUARD_SELF_LOADER, getpid(), 0) ||
	    self_add(fd, GUARD_SELF_SEALED, 0, 0))
		return -1;
	if (bpf_map_freeze(fd)) {
		log_warn("guard: freeze the self map");
		return -1;
	}
	log_info("guard: sealed, pinned in %s", dir);
	return 0;
}

void fwg_guard_destroy(struct fwg_guard *g)
{
	if (!g)
		return;
	ring_buffer__free(g->rb);
	if (g->skel) {
		guard_bpf__destroy(g->skel);
	} else {
		if (g->events_fd >= 0)
			close(g->events_fd);
		if (g->stats_fd >= 0)
			close(g->stats_fd);
	}
	free(g);
}

/* ----------------------------------------------------------------- filter */

struct fwg_filter {
	struct filter_bpf *skel;
	struct bpf_link *link;
};

struct fwg_filter *fwg_filter_open(const struct fwg_filter_config *c)
{
	struct fwg_filter *f = calloc(1, sizeof(*f));
	unsigned int i;
	int err;

	route_libbpf_log();
	if (!f)
		return NULL;
	f->skel = filter_bpf__open();
	if (!f->skel) {
		log_warn("filter: open");
		goto fail;
	}
	for (i = 0; i < c->n_update_ports && i < FWG_FILTER_MAX_PORTS; i++)
		f->skel->rodata->port_class[c->update_ports[i]] |= FILTER_PORT_UPDATE;
	if (c->relay_port)
		f->skel->rodata->port_class[c->relay_port] = FILTER_PORT_RELAY | FILTER_PORT_RELAY << 4;
	if (c->relay_rate) {
		f->skel->rodata->relay_cost_ns = 1000000000ull / c->relay_rate;
		f->skel->rodata->relay_burst_ns = f->skel->rodata->relay_cost_ns *
						  (c->relay_burst ? c->relay_burst : c->relay_rate);
	}
	err = filter_bpf__load(f->skel);
	if (err) {
		log_warnx("filter: load: %s", strerror(-err));
		goto fail;
	}
	return f;
fail:
	fwg_filter_destroy(f);
	return NULL;
}

/* "ADDR/LEN" or "ADDR" into an LPM key of either family, host bits cleared. Returns AF_INET(6) or -1. */
static int parse_cidr(const char *s, struct filter_v4_key *v4, struct filter_v6_key *v6)
{
	char buf[64], *slash, *end;
	unsigned long len;
	uint8_t *addr;
	int af, bits, i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, v4->addr) == 1) {
		af = AF_INET;
		bits = 32;
		addr = v4->addr;
	} else if (inet_pton(AF_INET6, buf, v6->addr) == 1) {
		af = AF_INET6;
		bits = 128;
		addr = v6->addr;
	} else {
		return -1;
	}
	len = bits;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || len > (unsigned long)bits)
			return -1;
	}
	for (i = len; i < bits; i++)
		addr[i / 8] &= ~(0x80 >> (i % 8));
	if (af == AF_INET)
		v4->prefixlen = len;
	else
		v6->prefixlen = len;
	return af;
}

int fwg_filter_set_allow(struct fwg_filter *f, char *const *cidrs, unsigned int n)
{
	struct filter_v4_key *v4 = calloc(n + 1, sizeof(*v4));
	struct filter_v6_key *v6 = calloc(n + 1, sizeof(*v6));
	unsigned int i, n4 = 0, n6 = 0;
	int err = -EINVAL;

	if (!v4 || !v6 || n > MAX_KEYS) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		switch (parse_cidr(cidrs[i], &v4[n4], &v6[n6])) {
		case AF_INET:
			n4++;
			break;
		case AF_INET6:
			n6++;
			break;
		default:
			log_warnx("allow-list: \"%s\" is not an address or CIDR", cidrs[i]);
			goto out;
		}
		memset(&v4[n4], 0, sizeof(v4[n4]));
		memset(&v6[n6], 0, sizeof(v6[n6]));
	}
	err = map_replace(bpf_map__fd(f->skel->maps.allow_v4), sizeof(*v4), v4, n4);
	if (!err)
		err = map_replace(bpf_map__fd(f->skel->maps.allow_v6), sizeof(*v6), v6, n6);
out:
	free(v4);
	free(v6);
	return err;
}

int fwg_filter_attach(struct fwg_filter *f, const char *ifname)
{
	int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		log_warn("%s", ifname);
		return -1;
	}
	f->link = bpf_program__attach_xdp(f->skel->progs.filter_xdp, ifindex);
	if (!f->link) {
		log_warn("filter: attach XDP to %s", ifname);
		return -1;
	}
	return 0;
}

int fwg_filter_prog_fd(const struct fwg_filter *f)
{
	return bpf_program__fd(f->skel->progs.filter_xdp);
}

void fwg_filter_counters(const struct fwg_filter *f, uint64_t out[FILTER_NR_COUNTERS])
{
	percpu_sum(bpf_map__fd(f->skel->maps.counters), out, FILTER_NR_COUNTERS);
}

int fwg_filter_pin(struct fwg_filter *f, const char *dir)
{
	struct filter_bpf *s = f->skel;

	if (make_pin_dir(dir) || pin_link(f->link, dir, "filter_xdp") ||
	    pin_map(s->maps.counters, dir, "filter_counters") ||
	    pin_map(s->maps.allow_v4, dir, "filter_allow_v4") ||
	    pin_map(s->maps.allow_v6, dir, "filter_allow_v6"))
		return -1;
	return 0;
}

void fwg_filter_destroy(struct fwg_filter *f)
{
	if (!f)
		return;
	bpf_link__destroy(f->link);
	filter_bpf__destroy(f->skel);
	free(f);
}

/* ----------------------------------------------------------------- egress */

struct fwg_egress {
	struct egress_bpf *skel;
	struct bpf_link *links[4];
	int cgroup_fd;
};

struct fwg_egress *fwg_egress_open(void)
{
	struct fwg_egress *e = calloc(1, sizeof(*e));
	int err;

	route_libbpf_log();
	if (!e)
		return NULL;
	e->cgroup_fd = -1;
	e->skel = egress_bpf__open();
	if (!e->skel) {
		log_warn("egress: open");
		goto fail;
	}
	err = egress_bpf__load(e->skel);
	if (err) {
		log_warnx("egress: load: %s", strerror(-err));
		goto fail;
	}
	return e;
fail:
	fwg_egress_destroy(e);
	return NULL;
}

/* "A.B.C.D[:PORT]", "[V6][:PORT]" or a bare IPv6 address. Returns 0 or -1. */
static int parse_addr_port(const char *s, struct egress_key *k)
{
	char buf[80], *host = buf, *port = NULL, *end;
	unsigned long p = 0;

	memset(k, 0, sizeof(*k));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (buf[0] == '[') {
		host = buf + 1;
		end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		*end = '\0';
		if (end[1])
			port = end + 2;
	} else if (strchr(buf, ':') == strrchr(buf, ':') && strchr(buf, ':')) {
		port = strchr(buf, ':');
		*port++ = '\0';
	}
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || end == port || p > 65535)
			return -1;
	}
	k->port = p;
	if (inet_pton(AF_INET, host, &k->addr[3]) == 1) {
		k->addr[2] = htonl(0xffff);
		return 0;
	}
	return inet_pton(AF_INET6, host, k->addr) == 1 ? 0 : -1;
}

int fwg_egress_set_allow(struct fwg_egress *e, char *const *addrs, unsigned int n)
{
	struct egress_key *keys = calloc(n + 1, sizeof(*keys));
	unsigned int i;
	int err = -EINVAL;

	if (!keys || n > MAX_KEYS) {
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (parse_addr_port(addrs[i], &keys[i])) {
			log_warnx("egress: \"%s\" is not ADDR[:PORT] or [ADDR6][:PORT]", addrs[i]);
			goto out;
		}
	err = map_replace(bpf_map__fd(e->skel->maps.allow), sizeof(*keys), keys, n);
out:
	free(keys);
	return err;
}

int fwg_egress_attach(struct fwg_egress *e, const char *cgroup)
{
	struct bpf_program *progs[4] = { e->skel->progs.egress_connect4, e->skel->progs.egress_sendmsg4,
					 e->skel->progs.egress_connect6, e->skel->progs.egress_sendmsg6 };
	int i;

	e->cgroup_fd = open(cgroup, O_RDONLY | O_DIRECTORY);
	if (e->cgroup_fd < 0) {
		log_warn("%s", cgroup);
		return -1;
	}
	for (i = 0; i < 4; i++) {
		e->links[i] = bpf_program__attach_cgroup(progs[i], e->cgroup_fd);
		if (!e->links[i]) {
			log_warn("egress: attach %s to %s", bpf_program__name(progs[i]), cgroup);
			return -1;
		}
	}
	return 0;
}

void fwg_egress_counters(const struct fwg_egress *e, uint64_t out[EGRESS_NR_COUNTERS])
{
	percpu_sum(bpf_map__fd(e->skel->maps.counters), out, EGRESS_NR_COUNTERS);
}

int fwg_egress_pin(struct fwg_egress *e, const char *dir)
{
	static const char *const names[4] = { "egress_connect4", "egress_sendmsg4", "egress_connect6",
					       "egress_sendmsg6" };
	int i;

	if (make_pin_dir(dir))
		return -1;
	for (i = 0; i < 4; i++)
		if (pin_link(e->links[i], dir, names[i]))
			return -1;
	if (pin_map(e->skel->maps.counters, dir, "egress_counters") ||
	    pin_map(e->skel->maps.allow, dir, "egress_allow"))
		return -1;
	return 0;
}

void fwg_egress_destroy(struct fwg_egress *e)
{
	int i;

	if (!e)
		return;
	for (i = 0; i < 4; i++)
		bpf_link__destroy(e->links[i]);
	egress_bpf__destroy(e->skel);
	if (e->cgroup_fd >= 0)
		close(e->cgroup_fd);
	free(e);
}
