// SPDX-License-Identifier: GPL-2.0-only
/*
 * seedctl - guest-side helper for the seed scenarios (built with gcc -static: the guest
 * userland is busybox only).
 *
 *   seedctl open DEV              open, print what the bound driver reports, close
 *   seedctl hold DEV SECONDS      open and keep the file (and its module reference) for a while
 *   seedctl hammer DEV SECONDS [STOPFILE]
 *                                 open+close in a tight loop until SECONDS pass or STOPFILE
 *                                 exists; prints how many opens succeeded / failed and why.
 *                                 A shell loop would fork per open, far too slow under TCG to
 *                                 keep an opener inside seed_core's lookup->get window.
 *
 * Exit status: 0 success, 1 the open failed (open/hold), 2 usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_open(const char *dev, double hold)
{
	char buf[128];
	ssize_t n;
	int fd = open(dev, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "seedctl: open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = 0;
		printf("seedctl: %s bound to %s", dev, buf);
	}
	fflush(stdout);
	if (hold > 0) {
		struct timespec ts = {(time_t)hold, (long)((hold - (time_t)hold) * 1e9)};

		nanosleep(&ts, NULL);
	}
	close(fd);
	return 0;
}

static int do_hammer(const char *dev, double seconds, const char *stopfile)
{
	unsigned long ok = 0, enodev = 0, other = 0, iter = 0;
	double end = now() + seconds;
	int last_err = 0;

	for (;;) {
		int fd = open(dev, O_RDONLY);

		if (fd >= 0) {
			ok++;
			close(fd);
		} else if (errno == ENODEV || errno == ENXIO) {
			enodev++;
		} else {
			other++;
			last_err = errno;
		}
		/* Check the clock and the stop file only now and then: keep the loop tight. */
		if ((++iter & 63) == 0) {
			if (now() >= end)
				break;
			if (stopfile && access(stopfile, F_OK) == 0)
				break;
		}
	}
	printf("seedctl: hammer %s: %lu ok, %lu ENODEV, %lu other%s%s\n", dev, ok, enodev, other,
	       other ? ", last: " : "", other ? strerror(last_err) : "");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "open"))
		return do_open(argv[2], 0);
	if (argc >= 4 && !strcmp(argv[1], "hold"))
		return do_open(argv[2], atof(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "hammer"))
		return do_hammer(argv[2], atof(argv[3]), argc >= 5 ? argv[4] : NULL);
	fprintf(stderr,
		"usage: seedctl open DEV | hold DEV SECONDS | hammer DEV SECONDS [STOPFILE]\n");
	return 2;
}
