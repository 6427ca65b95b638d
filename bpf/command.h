/* SPDX-License-Identifier: GPL-2.0 */
/* "fwgatectl bpf": the BPF programs standalone, over the loader. */
#ifndef FWG_BPF_COMMAND_H
#define FWG_BPF_COMMAND_H

/* argv[0] is "bpf". Returns the exit status. */
int fwg_bpf_command(int argc, char **argv);

#endif
