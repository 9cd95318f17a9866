/* The test daemons of runtime/init/tests/expect.rs: one program, one mode
 * per way a daemon tells init it is ready. Built by the test suite with
 * the system's C compiler.
 *
 *   testd MODE DIR [ARG]
 *
 * Every mode first writes its pid to DIR/waiting and waits for the file
 * DIR/go (so the test can look at the job while it waits in `spawned`),
 * then does its part, then writes the daemon's pid (as its PID namespace
 * sees it) to DIR/pid and waits for SIGTERM. The workers of `workers`
 * write their pids to DIR/worker.N.
 *
 *   single     fork once; the parent exits                (expect fork)
 *   double     fork, setsid, fork; both parents exit      (expect daemon)
 *   forkexec   fork once; the child execs `testd pause`   (expect daemon:
 *              the exec after a fork ends the trace)
 *   pause      write the pid and wait (what forkexec execs)
 *   workers    double, then fork two workers              (expect daemon)
 *   diebetween fork, setsid, exit 3 before the 2nd fork   (expect daemon)
 *   stop       raise SIGSTOP                              (expect stop)
 *   notify     fork; the child sends MAINPID, STATUS and READY=1 to
 *              $NOTIFY_SOCKET, then the parent exits      (expect notify)
 *   readyfd    write a newline to descriptor ARG          (ready fd ARG)
 *   signals    like single; while it waits (traced) it counts SIGUSR1
 *              and SIGRTMIN+2 in DIR/usr1 and DIR/rt      (expect fork)
 *
 *   testd noptrace CMD ARGS...
 *
 * runs CMD with a seccomp filter that refuses ptrace(2) with EPERM, as a
 * security module would (init under it cannot trace anything).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void wait_for_go(void)
{
	char go[4096];
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	path(go, sizeof go, "go");
	while (access(go, F_OK) != 0)
		nanosleep(&tick, NULL);
}

static void write_file(const char *name, long value)
{
	char p[4096], tmp[4200];
	path(p, sizeof p, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	if (!f)
		exit(90);
	fprintf(f, "%ld\n", value);
	fclose(f);
	rename(tmp, p);
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

/* The daemon proper: says where it is and waits to be stopped. */
static void serve(void)
{
	signal(SIGTERM, on_term);
	write_file("pid", (long)getpid());
	for (;;)
		pause();
}

static void become_daemon(int forks)
{
	for (int i = 0; i < forks; i++) {
		pid_t p = fork();
		if (p < 0)
			exit(91);
		if (p > 0)
			_exit(0);
		if (i == 0)
			setsid();
	}
}

static void notify(const char *text)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	if (!sock)
		exit(92);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strncpy(a.sun_path, sock, sizeof a.sun_path - 1);
	if (fd < 0 || sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof a) < 0)
		exit(93);
	close(fd);
}

static volatile sig_atomic_t usr1, rt;

static void count(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else
		rt++;
}

static int no_ptrace(char **cmd)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp");
		return 97;
	}
	execv(cmd[0], cmd);
	perror("exec");
	return 98;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "noptrace") == 0)
		return no_ptrace(argv + 2);
	if (argc < 3)
		return 2;
	const char *mode = argv[1];
	dir = argv[2];

	if (strcmp(mode, "pause") == 0)
		serve();
	if (strcmp(mode, "signals") == 0) {
		struct sigaction sa = { .sa_handler = count };
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGRTMIN + 2, &sa, NULL);
	}
	write_file("waiting", (long)getpid());
	wait_for_go();

	if (strcmp(mode, "single") == 0) {
		become_daemon(1);
		serve();
	} else if (strcmp(mode, "double") == 0) {
		become_daemon(2);
		serve();
	} else if (strcmp(mode, "forkexec") == 0) {
		become_daemon(1);
		execl("/proc/self/exe", "testd", "pause", dir, (char *)NULL);
		return 94;
	} else if (strcmp(mode, "workers") == 0) {
		become_daemon(2);
		for (int i = 0; i < 2; i++) {
			pid_t w = fork();
			if (w == 0) {
				signal(SIGTERM, on_term);
				char name[32];
				snprintf(name, sizeof name, "worker.%d", i);
				write_file(name, (long)getpid());
				for (;;)
					pause();
			}
		}
		serve();
	} else if (strcmp(mode, "diebetween") == 0) {
		become_daemon(1);
		return 3;
	} else if (strcmp(mode, "stop") == 0) {
		write_file("stopping", (long)getpid());
		raise(SIGSTOP);
		serve();
	} else if (strcmp(mode, "notify") == 0) {
		int ready[2];
		if (pipe(ready) < 0)
			return 95;
		pid_t p = fork();
		if (p < 0)
			return 91;
		if (p > 0) {
			/* The parent leaves once the daemon has said who it is. */
			char c;
			close(ready[1]);
			while (read(ready[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		close(ready[0]);
		setsid();
		char msg[128];
		snprintf(msg, sizeof msg, "MAINPID=%ld\nSTATUS=serving requests\nREADY=1\n",
			 (long)getpid());
		notify(msg);
		close(ready[1]);
		serve();
	} else if (strcmp(mode, "readyfd") == 0) {
		int fd = argc > 3 ? atoi(argv[3]) : -1;
		if (write(fd, "\n", 1) != 1)
			return 96;
		close(fd);
		serve();
	} else if (strcmp(mode, "signals") == 0) {
		write_file("usr1", (long)usr1);
		write_file("rt", (long)rt);
		become_daemon(1);
		serve();
	}
	return 2;
}
