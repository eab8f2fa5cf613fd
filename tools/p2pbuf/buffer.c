// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers on the command line: sizes, the provider to allocate on, an fd
 * taken from this or another process, a buffer held open or handed to a
 * command (alloc and copy share these).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p2pbuf.h"

/* N[k|M|G][i][B]: no sign (strtoull takes "-1" as 2^64-1), no overflow */
uint64_t parse_size(const char *s)
{
	const char *p = s;
	unsigned int shift = 0;
	char *end;
	uint64_t v;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		die("bad size '%s'", s);
	errno = 0;
	v = strtoull(p, &end, 0);
	if (errno == ERANGE)
		die("size '%s' is too large", s);
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end || end == p)
		die("bad size '%s'", s);
	if (shift && v > UINT64_MAX >> shift)
		die("size '%s' is too large", s);
	return v << shift;
}

/* PROVIDER: an id, or a PCI address with an available provider of size bytes */
uint32_t resolve_provider(const struct env *e, const char *arg, uint64_t size)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	uint32_t bdf;
	int i;

	env_need_ctx(e);
	if (!*end && end != arg)
		return id;
	if (p2pbuf_parse_bdf(arg, &bdf))
		die("'%s' is neither a provider id nor a PCI address", arg);
	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == bdf &&
		    (e->prov[i].flags & P2PBUF_PROV_AVAILABLE) &&
		    e->prov[i].free >= size)
			return e->prov[i].id;
	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == bdf)
			die("provider %u on %s cannot take %" PRIu64 " bytes%s%s",
			    e->prov[i].id, arg, size, e->prov[i].reason[0] ? ": " : "",
			    e->prov[i].reason);
	die("no p2pbuf provider on %s (see p2pbuf list)", arg);
}

/* "NAME, KIND" of a provider id, in a static buffer; "?" when unknown */
const char *provider_name(const struct env *e, uint32_t id)
{
	static char buf[64];
	int i;

	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].id == id) {
			snprintf(buf, sizeof(buf), "%s, %s", e->prov[i].name,
				 p2pbuf_kind_str(e->prov[i].kind));
			return buf;
		}
	return "?";
}

/*
 * "FD", "fd:FD" or "PID:FD": an fd of ours for it, described in how; -errno
 * when pidfd_getfd() refuses another process's fd.
 */
int grab_fd(const char *arg, char *how, size_t hlen)
{
	long pid = 0, n;
	char *end;
	int pidfd, fd;

	if (!strncmp(arg, "fd:", 3))
		arg += 3;	/* fd:N, as copy takes it */
	if (!isdigit((unsigned char)*arg))
		die("'%s' is not FD, fd:FD or PID:FD", arg);
	n = strtol(arg, &end, 10);
	if (*end == ':') {
		pid = n;
		n = strtol(end + 1, &end, 10);
	}
	if (*end || n < 0 || n > INT_MAX || pid < 0)
		die("'%s' is not FD, fd:FD or PID:FD", arg);
	if (!pid || pid == getpid()) {
		snprintf(how, hlen, "fd %ld", n);
		return n;
	}
	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		die("pidfd_open(%ld): %s", pid, strerror(errno));
	fd = syscall(SYS_pidfd_getfd, pidfd, (int)n, 0);
	close(pidfd);
	if (fd < 0)
		return -errno;
	snprintf(how, hlen, "fd %ld of pid %ld (pidfd_getfd)", n, pid);
	return fd;
}

/* run cmd with fd inherited and named in $P2PBUF_FD; its exit status */
int run_with_fd(int fd, char **cmd)
{
	char num[16];
	int st;
	pid_t pid;

	fcntl(fd, F_SETFD, 0);
	snprintf(num, sizeof(num), "%d", fd);
	setenv("P2PBUF_FD", num, 1);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "p2pbuf: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * keep the buffers open until SIGINT or SIGTERM; the notice goes to stderr
 * with --json, so that stdout holds the JSON document only
 */
void hold(int quiet_stdout)
{
	FILE *f = quiet_stdout ? stderr : stdout;
	sigset_t set;
	int sig;

	fflush(stdout);
	fprintf(f, "holding the buffer; SIGINT or SIGTERM releases it (pid %d)\n",
		getpid());
	fflush(f);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
}
