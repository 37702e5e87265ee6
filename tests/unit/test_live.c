/*
 * test_live.c - the live capture's filter text (and that libpcap compiles
 * it), and the privilege drop, in a child process so the test keeps root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <pwd.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sti/capture_live.h"

struct ports {
	struct sti_portset smtp, tls;
};

static void default_ports(struct ports *p)
{
	memset(p, 0, sizeof(*p));
	sti_portset_add(&p->smtp, 25);
	sti_portset_add(&p->smtp, 587);
	sti_portset_add(&p->tls, 465);
}

/* libpcap must accept the text on an Ethernet link. */
static void assert_compiles(const char *expr)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	struct bpf_program prog;
	assert_non_null(p);
	int rc = pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	if (rc != 0)
		fail_msg("'%s': %s", expr, pcap_geterr(p));
	pcap_freecode(&prog);
	pcap_close(p);
}

static void test_default_ports(void **state)
{
	(void)state;
	struct ports p;
	char buf[512];
	default_ports(&p);
	size_t n = sti_live_filter(&p.smtp, &p.tls, NULL, false, buf, sizeof(buf));
	assert_string_equal(buf, "tcp port 25 or tcp port 465 or tcp port 587");
	assert_int_equal(n, strlen(buf));
	assert_compiles(buf);
}

static void test_vlan_branch(void **state)
{
	(void)state;
	struct ports p;
	char buf[512];
	default_ports(&p);
	sti_live_filter(&p.smtp, &p.tls, NULL, true, buf, sizeof(buf));
	assert_string_equal(buf,
		"(tcp port 25 or tcp port 465 or tcp port 587) or "
		"(vlan and (tcp port 25 or tcp port 465 or tcp port 587))");
	assert_compiles(buf);
}

static void test_extra_narrows_both_branches(void **state)
{
	(void)state;
	struct ports p;
	char buf[512];
	default_ports(&p);
	sti_live_filter(&p.smtp, &p.tls, "host 192.0.2.1", true, buf, sizeof(buf));
	assert_string_equal(buf,
		"((tcp port 25 or tcp port 465 or tcp port 587) and (host 192.0.2.1)) or "
		"(vlan and ((tcp port 25 or tcp port 465 or tcp port 587) and (host 192.0.2.1)))");
	assert_compiles(buf);
}

static void test_runs_become_ranges(void **state)
{
	(void)state;
	struct ports p;
	char buf[512];
	memset(&p, 0, sizeof(p));
	for (unsigned port = 1000; port <= 1002; port++)
		sti_portset_add(&p.smtp, (uint16_t)port);
	sti_portset_add(&p.tls, 1004);
	sti_portset_add(&p.tls, 1005);
	sti_portset_add(&p.tls, 65535);
	sti_live_filter(&p.smtp, &p.tls, NULL, false, buf, sizeof(buf));
	assert_string_equal(buf, "tcp portrange 1000-1002 or tcp port 1004 or "
				 "tcp port 1005 or tcp port 65535");
	assert_compiles(buf);
}

static void test_no_port_takes_all_tcp(void **state)
{
	(void)state;
	struct ports p;
	char buf[128];
	memset(&p, 0, sizeof(p));
	sti_live_filter(&p.smtp, &p.tls, NULL, false, buf, sizeof(buf));
	assert_string_equal(buf, "tcp");
	assert_compiles(buf);
}

static void test_short_buffer_reports_length(void **state)
{
	(void)state;
	struct ports p;
	char small[10], big[512];
	default_ports(&p);
	size_t want = sti_live_filter(&p.smtp, &p.tls, "port 25", true, big, sizeof(big));
	size_t got = sti_live_filter(&p.smtp, &p.tls, "port 25", true, small, sizeof(small));
	assert_int_equal(got, want);
	assert_int_equal(strlen(small), sizeof(small) - 1);   /* cut, terminated */
	assert_memory_equal(small, big, sizeof(small) - 1);
	assert_int_equal(sti_live_filter(&p.smtp, &p.tls, "port 25", true, NULL, 0), want);
}

/* Run fn in a child; its exit status is the result. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int drop_to_default(void)
{
	char err[256];
	uid_t before = getuid();
	if (!sti_live_drop_privileges(NULL, err, sizeof(err)))
		return 10;
	if (before != 0)
		return getuid() == before ? 0 : 11;   /* nothing to give up */
	struct passwd *nobody = getpwnam("nobody");
	if (!nobody)
		return 12;
	if (getuid() != nobody->pw_uid || geteuid() != nobody->pw_uid)
		return 13;
	if (getgid() != nobody->pw_gid || getegid() != nobody->pw_gid)
		return 14;
	if (setuid(0) == 0)
		return 15;                            /* root came back */
	gid_t groups[4];
	int n = getgroups(4, groups);
	if (n != 1 || groups[0] != nobody->pw_gid)
		return 16;
	return 0;
}

static int keep_root_explicitly(void)
{
	char err[256];
	uid_t before = geteuid();
	if (!sti_live_drop_privileges("root", err, sizeof(err)))
		return 10;
	return geteuid() == before ? 0 : 11;
}

static int unknown_user_fails(void)
{
	char err[256] = "";
	if (sti_live_drop_privileges("no-such-user-sti", err, sizeof(err)))
		return 10;
	return strcmp(err, "-Z no-such-user-sti: no such user") == 0 ? 0 : 11;
}

static void test_privileges(void **state)
{
	(void)state;
	assert_int_equal(in_child(drop_to_default), 0);
	assert_int_equal(in_child(keep_root_explicitly), 0);
	assert_int_equal(in_child(unknown_user_fails), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ports),
		cmocka_unit_test(test_vlan_branch),
		cmocka_unit_test(test_extra_narrows_both_branches),
		cmocka_unit_test(test_runs_become_ranges),
		cmocka_unit_test(test_no_port_takes_all_tcp),
		cmocka_unit_test(test_short_buffer_reports_length),
		cmocka_unit_test(test_privileges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
