// SPDX-License-Identifier: GPL-2.0-only
/*
 * kpathctl - drives kernel open paths that busybox cannot reach, for the subsystems scenario
 * (tests/vm/scenarios/subsystems.sh). Each command exits 0 when the kernel path ran and did
 * what it should, and prints one line saying why otherwise.
 *
 *   kpathctl ldisc N        open a pty, set line discipline N (TIOCSETD: tty_set_ldisc ->
 *                           get_ldops -> try_module_get), set N_TTY back, close
 *   kpathctl alg TYPE NAME  AF_ALG: bind a socket to TYPE/NAME (alg_get_type, then the crypto
 *                           API's lookup of NAME), for "hash" digest "abc" through accept()
 *   kpathctl tcpcc NAME     a TCP socket with setsockopt(TCP_CONGESTION, NAME)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

static int fail(const char *what)
{
	fprintf(stderr, "kpathctl: %s: %s\n", what, strerror(errno));
	return 1;
}

static int ldisc(int n)
{
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), tty = 0;

	if (fd < 0)
		return fail("open /dev/ptmx");
	if (ioctl(fd, TIOCSETD, &n) < 0)
		return fail("TIOCSETD");
	if (ioctl(fd, TIOCGETD, &tty) < 0 || tty != n) {
		fprintf(stderr, "kpathctl: line discipline is %d, wanted %d\n", tty, n);
		return 1;
	}
	tty = N_TTY;
	if (ioctl(fd, TIOCSETD, &tty) < 0)
		return fail("TIOCSETD N_TTY");
	close(fd);
	return 0;
}

static int alg(const char *type, const char *name)
{
	struct sockaddr_alg sa = {.salg_family = AF_ALG};
	unsigned char out[64];
	int s, op;
	ssize_t n;

	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", type);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	s = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (s < 0)
		return fail("socket(AF_ALG)");
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("bind");
	if (strcmp(type, "hash") == 0) {
		op = accept(s, NULL, NULL);
		if (op < 0)
			return fail("accept");
		if (write(op, "abc", 3) != 3)
			return fail("write");
		n = read(op, out, sizeof(out));
		if (n <= 0)
			return fail("read digest");
		close(op);
	}
	close(s);
	return 0;
}

static int tcpcc(const char *name)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char got[16] = "";
	socklen_t len = sizeof(got);

	if (s < 0)
		return fail("socket(AF_INET)");
	if (setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)) < 0)
		return fail("setsockopt TCP_CONGESTION");
	if (getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, got, &len) < 0 || strcmp(got, name)) {
		fprintf(stderr, "kpathctl: congestion control is '%s', wanted '%s'\n", got, name);
		return 1;
	}
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "ldisc"))
		return ldisc(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "alg"))
		return alg(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "tcpcc"))
		return tcpcc(argv[2]);
	fprintf(stderr, "usage: kpathctl ldisc N | alg TYPE NAME | tcpcc NAME\n");
	return 2;
}
