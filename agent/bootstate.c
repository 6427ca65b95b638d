// SPDX-License-Identifier: GPL-2.0
/* fwgated's record of the last install's boot, boot.state in its state directory (agent/bootstate.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstate.h"
#include "files.h"
#include "keys.h"
#include "log.h"

#define MAX_TEXT	1024

static const char *const phases[__FWG_BOOT_PHASE_MAX] = {
	[FWG_BOOT_IDLE] = "idle",
	[FWG_BOOT_SWITCH] = "switch-pending",
	[FWG_BOOT_TRIAL] = "trial",
	[FWG_BOOT_RUNNING] = "running",
	[FWG_BOOT_FELL_HEALTH] = "fell-back-health",
	[FWG_BOOT_FELL_BOOT] = "fell-back-boot",
};

const char *fwg_boot_phase_name(enum fwg_boot_phase phase)
{
	return phase < __FWG_BOOT_PHASE_MAX ? phases[phase] : "unknown";
}

size_t fwg_boot_state_format(const struct fwg_boot_state *s, char *buf, size_t len)
{
	char hex[2 * FWGATE_ID_LEN + 1];
	int n;

	fwg_hex(s->u_id, FWGATE_ID_LEN, hex);
	n = snprintf(buf, len, "phase %s\nslot %.31s\nprevious %.31s\nupdate %s\nversion %" PRIu64 "\ntime %" PRId64 "\n",
		     fwg_boot_phase_name(s->phase), s->slot, s->other, hex, s->version, s->time);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

static int name_ok(const char *v)
{
	size_t n = strlen(v);

	return n && n < FWGATE_NAME_LEN && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int number(const char *v, int sign, uint64_t *out)
{
	char *end;

	if (!*v || (!sign && *v == '-'))
		return -1;
	errno = 0;
	*out = sign ? (uint64_t)strtoll(v, &end, 10) : strtoull(v, &end, 10);
	return errno || *end ? -1 : 0;
}

int fwg_boot_state_parse(const char *text, size_t len, struct fwg_boot_state *s, char *err, size_t errlen)
{
	char line[MAX_TEXT], *v;
	unsigned int seen = 0, bit, nr = 0, i;
	size_t off = 0, n;
	uint64_t num;
	static const char *const keys[] = { "phase", "slot", "previous", "update", "version", "time" };

	memset(s, 0, sizeof(*s));
	while (off < len) {
		nr++;
		n = 0;
		while (off + n < len && text[off + n] != '\n')
			n++;
		if (n >= sizeof(line) || memchr(text + off, '\0', n)) {
			snprintf(err, errlen, "line %u: too long or holds a NUL byte", nr);
			return -1;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		v = strchr(line, ' ');
		if (!v) {
			snprintf(err, errlen, "line %u: not \"keyword value\"", nr);
			return -1;
		}
		*v++ = '\0';
		for (i = 0; i < 6 && strcmp(line, keys[i]); i++)
			;
		bit = 1u << i;
		if (i == 6 || seen & bit) {
			snprintf(err, errlen, "line %u: \"%.20s\" unknown or given twice", nr, line);
			return -1;
		}
		seen |= bit;
		switch (i) {
		case 0:
			for (s->phase = 0; s->phase < __FWG_BOOT_PHASE_MAX && strcmp(v, phases[s->phase]); s->phase++)
				;
			if (s->phase == __FWG_BOOT_PHASE_MAX)
				goto bad;
			break;
		case 1:
		case 2:
			if (!name_ok(v))
				goto bad;
			strcpy(i == 1 ? s->slot : s->other, v);
			break;
		case 3:
			if (strlen(v) != 2 * FWGATE_ID_LEN || fwg_unhex(v, s->u_id, FWGATE_ID_LEN))
				goto bad;
			break;
		case 4:
		case 5:
			if (number(v, i == 5, &num))
				goto bad;
			if (i == 4)
				s->version = num;
			else
				s->time = (int64_t)num;
			break;
		}
	}
	if (seen != 0x3f) {
		snprintf(err, errlen, "line %u: the record ends before all of phase, slot, previous, update, version, "
			 "time", nr);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "line %u: %s: \"%.64s\" is not a valid value", nr, line, v);
	return -1;
}

int fwg_boot_state_load(const char *dir, struct fwg_boot_state *s)
{
	char path[4096], err[160];
	uint8_t *text;
	size_t len;
	int ret;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/boot.state", dir);
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	if (fwg_read_file(path, &text, &len, MAX_TEXT))
		return -1;
	ret = fwg_boot_state_parse((const char *)text, len, s, err, sizeof(err));
	free(text);
	if (ret) {
		log_warnx("%s: %s", path, err);
		memset(s, 0, sizeof(*s));
	}
	return ret;
}

int fwg_boot_state_save(const char *dir, const struct fwg_boot_state *s)
{
	char path[4096], text[MAX_TEXT];
	size_t n = fwg_boot_state_format(s, text, sizeof(text));
	int fd;

	snprintf(path, sizeof(path), "%s/boot.state", dir);
	if (!n || fwg_write_file(path, text, n, 0644))
		return -1;
	/* The rename is durable only once the directory is. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		log_warn("%s", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
