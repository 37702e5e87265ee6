/*
 * capture_live.c - the default BPF filter, the privilege drop, and the signals of
 * a live capture.
 */
#include "sti/capture_live.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/* ---- the filter ---- */

struct text {
	char *buf;
	size_t len, used;   /* used may pass len: the length wanted */
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t room = t->used < t->len ? t->len - t->used : 0;
	va_start(ap, fmt);
	int n = vsnprintf(room ? t->buf + t->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n;
}

static bool either_has(const struct sti_portset *a, const struct sti_portset *b,
		       unsigned port)
{
	return sti_portset_has(a, (uint16_t)port) || sti_portset_has(b, (uint16_t)port);
}

/* "tcp port 25 or tcp port 587 or tcp portrange 1000-1010" */
static void put_ports(struct text *t, const struct sti_portset *smtp,
		      const struct sti_portset *tls)
{
	bool first = true;
	for (unsigned p = 1; p <= 65535; p++) {
		if (!either_has(smtp, tls, p))
			continue;
		unsigned last = p;
		while (last < 65535 && either_has(smtp, tls, last + 1))
			last++;
		const char *sep = first ? "" : " or ";
		if (last - p >= 2) {
			put(t, "%stcp portrange %u-%u", sep, p, last);
		} else {
			put(t, "%stcp port %u", sep, p);
			last = p;
		}
		first = false;
		p = last;
	}
	if (first)   /* no port: sessions are then found by content alone */
		put(t, "tcp");
}

static void put_selection(struct text *t, const struct sti_portset *smtp,
			  const struct sti_portset *tls, const char *extra)
{
	if (!extra) {
		put_ports(t, smtp, tls);
		return;
	}
	put(t, "(");
	put_ports(t, smtp, tls);
	put(t, ") and (%s)", extra);
}

size_t sti_live_filter(const struct sti_portset *smtp, const struct sti_portset *tls,
		       const char *extra, bool vlan, char *buf, size_t len)
{
	struct text t = { .buf = buf, .len = len };
	if (len)
		buf[0] = '\0';
	if (!vlan) {
		put_selection(&t, smtp, tls, extra);
		return t.used;
	}
	/* "vlan" moves the offsets of what follows it, so the untagged and
	 * the tagged selection are two separate branches. */
	put(&t, "(");
	put_selection(&t, smtp, tls, extra);
	put(&t, ") or (vlan and (");
	put_selection(&t, smtp, tls, extra);
	put(&t, "))");
	return t.used;
}

/* ---- privileges ---- */

static bool become(const struct passwd *pw, char *err, size_t errlen)
{
	gid_t gid = pw->pw_gid;
	if (setgroups(1, &gid) != 0) {
		snprintf(err, errlen, "-Z %s: setgroups: %s", pw->pw_name, strerror(errno));
		return false;
	}
	if (setgid(gid) != 0) {
		snprintf(err, errlen, "-Z %s: setgid: %s", pw->pw_name, strerror(errno));
		return false;
	}
	if (setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "-Z %s: setuid: %s", pw->pw_name, strerror(errno));
		return false;
	}
	/* Checked, not assumed: a saved root id would let root come back. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0 || getuid() == 0)) {
		snprintf(err, errlen, "-Z %s: root privileges could be regained", pw->pw_name);
		return false;
	}
	if (getegid() != gid || getgid() != gid) {
		snprintf(err, errlen, "-Z %s: group not changed", pw->pw_name);
		return false;
	}
	return true;
}

/*
 * A process that is not root but was given capabilities (ambient ones from
 * systemd's AmbientCapabilities=, or file capabilities) gives them all up
 * once the capture is open, as root gives up root: checked, not assumed.
 */
#ifdef __linux__
static bool drop_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return true;   /* no capabilities on this system */
	if (!(d[0].permitted | d[1].permitted | d[0].inheritable | d[1].inheritable))
		return true;
	/* Ambient capabilities would come back on an exec: cleared first. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0) {
		snprintf(err, errlen, "cannot give up capabilities: %s", strerror(errno));
		return false;
	}
	if (syscall(SYS_capget, &h, d) != 0 || d[0].effective | d[1].effective |
	    d[0].permitted | d[1].permitted) {
		snprintf(err, errlen, "capabilities could be regained");
		return false;
	}
	return true;
}
#else
/* Capabilities are Linux's; elsewhere (the WebAssembly build, which has no
 * live capture at all) there are none to give up. */
static bool drop_capabilities(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return true;
}
#endif

bool sti_live_drop_privileges(const char *user, char *err, size_t errlen)
{
	if (user && strcmp(user, "root") == 0)
		return true;   /* -Z root: kept on purpose */
	const char *name = user ? user : "nobody";
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		snprintf(err, errlen, "-Z %s: no such user%s%s", name,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return false;
	}
	if (geteuid() != 0) {
		/* Not root: only capabilities to give up, and no way to
		 * become another. */
		if (!user || (pw->pw_uid == getuid() && pw->pw_uid == geteuid()))
			return drop_capabilities(err, errlen);
		snprintf(err, errlen, "-Z %s: only root can change to another user", name);
		return false;
	}
	return become(pw, err, errlen);
}

/* ---- signals ---- */

static struct sti_capture *volatile signal_capture;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;
static volatile sig_atomic_t reopen_requested;
static struct sigaction saved_int, saved_term, saved_usr1, saved_hup;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
	struct sti_capture *c = signal_capture;
	if (c)
		sti_capture_breakloop(c);
}

static void on_stats(int sig)
{
	(void)sig;
	stats_requested = 1;
}

static void on_reopen(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

void sti_live_signals_install(struct sti_capture *c)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	signal_capture = c;
	stop_requested = 0;
	stats_requested = 0;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, &saved_int);
	sigaction(SIGTERM, &sa, &saved_term);
	sa.sa_handler = on_stats;
	sigaction(SIGUSR1, &sa, &saved_usr1);
	reopen_requested = 0;
	sa.sa_handler = on_reopen;
	sigaction(SIGHUP, &sa, &saved_hup);
}

void sti_live_signals_restore(void)
{
	sigaction(SIGINT, &saved_int, NULL);
	sigaction(SIGTERM, &saved_term, NULL);
	sigaction(SIGUSR1, &saved_usr1, NULL);
	sigaction(SIGHUP, &saved_hup, NULL);
	signal_capture = NULL;
}

bool sti_live_stop_requested(void)
{
	return stop_requested != 0;
}

bool sti_live_take_stats_request(void)
{
	if (!stats_requested)
		return false;
	stats_requested = 0;
	return true;
}

bool sti_live_take_reopen_request(void)
{
	if (!reopen_requested)
		return false;
	reopen_requested = 0;
	return true;
}

/* ---- --output ---- */

static const char *output_path;

static bool output_to(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "--output %s: %s", path, strerror(errno));
		return false;
	}
	/* Standard output's descriptor now names the file: every FILE that
	 * writes to stdout follows without knowing. */
	bool ok = dup2(fd, STDOUT_FILENO) == STDOUT_FILENO;
	if (!ok)
		snprintf(err, errlen, "--output %s: %s", path, strerror(errno));
	close(fd);
	return ok;
}

bool sti_live_output_open(const char *path, char *err, size_t errlen)
{
	output_path = path;
	return output_to(path, err, errlen);
}

bool sti_live_output_reopen(char *err, size_t errlen)
{
	if (!output_path)
		return true;
	return output_to(output_path, err, errlen);
}
