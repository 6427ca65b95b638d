/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FWG_CHECKER_DAEMON_H
#define FWG_CHECKER_DAEMON_H

/* fwgate-checker daemon: follows the chain and publishes this checker's verdicts. */
int checker_daemon(int argc, char **argv);

#endif
