/* SPDX-License-Identifier: Apache-2.0 */
/* tcmud: serve LIO TCMU devices from userspace. */
#include "daemon.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
	struct tcmud_options opts;

	switch (tcmud_options_parse(&opts, argc, argv)) {
	case TCMUD_OPTIONS_EXIT_OK:
		return 0;
	case TCMUD_OPTIONS_ERROR:
		return 2;
	case TCMUD_OPTIONS_RUN:
		break;
	}
	tcmud_log_set_level(opts.log_level);
	log_info("tcmud " TCMUD_VERSION " starting (handlers from %s, configuration %s%s)",
		 opts.handler_dir, opts.config_file, opts.config_loaded ? "" : " absent");
	return tcmud_daemon_run(&opts);
}
