/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwgated's configuration, /etc/fwgate/fwgated.conf (Documentation/fwgate/fwgated.conf.rst): one
 * "keyword value..." per line, '#' comments. Errors name the file and line and quote the text.
 */
#ifndef FWG_AGENT_CONF_H
#define FWG_AGENT_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fwgate.h>

#define FWG_CONF_MAX_NODES	16
#define FWG_CONF_MAX_MIRRORS	16
#define FWG_CONF_MAX_SLOTS	FWGATE_MAX_TARGETS
#define FWG_CONF_URL_LEN	256
#define FWG_CONF_PATH_LEN	256
#define FWG_CONF_MAX_FILTER_PORTS	3

enum fwg_bootloader {
	FWG_BOOT_NONE,
	FWG_BOOT_UBOOT,		/* fw_setenv / fw_printenv [-c ARG] */
	FWG_BOOT_GRUB,		/* grub-editenv on ARG */
	FWG_BOOT_SCRIPT,	/* ARG called as ARG switch|confirm|revert SLOT, ARG active|next */
};

struct fwg_slot {
	char group[FWGATE_NAME_LEN];	/* the statement's target */
	char name[FWGATE_NAME_LEN];	/* the kernel target */
	char spec[FWGATE_MAX_SPEC_LEN];	/* as fwgate.ko's targets/add takes it */
};

struct fwg_conf {
	char nodes[FWG_CONF_MAX_NODES][FWG_CONF_URL_LEN];
	unsigned int nr_nodes;
	char mirrors[FWG_CONF_MAX_MIRRORS][FWG_CONF_URL_LEN];
	unsigned int nr_mirrors;
	char ca_file[FWG_CONF_PATH_LEN];	/* https servers' CA bundle, "" for the system's */
	char device_key[FWG_CONF_PATH_LEN];
	char policy[FWG_CONF_PATH_LEN];
	char state_dir[FWG_CONF_PATH_LEN];
	char state_device[FWGATE_MAX_SPEC_LEN];
	struct fwg_slot slots[FWG_CONF_MAX_SLOTS];
	unsigned int nr_slots;
	enum fwg_bootloader bootloader;
	char bootloader_arg[FWG_CONF_PATH_LEN];
	char alarm_hook[FWG_CONF_PATH_LEN];
	unsigned int sync_interval_s;
	unsigned int freshness_s;
	unsigned int retry_s;
	uint8_t genesis[FWGATE_ID_LEN];		/* pinned hash of block 0 */
	int has_genesis;
	char user[FWGATE_NAME_LEN];		/* the network-facing half runs as this user */
	char health_check[FWG_CONF_PATH_LEN];	/* run before a booted slot is marked good */
	char reboot[FWG_CONF_PATH_LEN];		/* run after a failed health check reverted the slot */
	char control[FWG_CONF_PATH_LEN];	/* fwgatectl's socket */
	char bpf[8];				/* "auto", "yes" or "no": load the bpf/ programs */
	int signed_modules;			/* after the lock, keep loading modules lockdown finds signed */
	char filter_if[FWGATE_NAME_LEN];	/* the uplink the XDP traffic filter guards, or "" */
	uint16_t filter_ports[FWG_CONF_MAX_FILTER_PORTS];	/* its update ports (local TCP ports) */
	unsigned int nr_filter_ports;
	uint16_t relay_port;			/* the peer-relay port, rate-limited per source */
	uint32_t relay_rate, relay_burst;
};

/* Parses @len bytes of @text named @name into @c; 0 or -1 (errors logged). */
int fwg_conf_parse(const char *name, const char *text, size_t len, struct fwg_conf *c);
int fwg_conf_load(const char *path, struct fwg_conf *c);
/* Checks what parsing can not: files exist with safe modes. 0 or -1 (errors logged). */
int fwg_conf_check_files(const struct fwg_conf *c);

#endif
