/* bench/benchd.c - the daemon of bench/ptrace.sh.
 *
 *   benchd fg       stays in the foreground (expect none)
 *   benchd daemon   forks, setsid()s, forks again; both parents exit
 *                   (a classic double-forking daemon: expect daemon)
 *
 * Either way the process that remains waits in pause() until SIGTERM.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (strcmp(argv[1], "daemon") == 0) {
		for (int i = 0; i < 2; i++) {
			pid_t p = fork();
			if (p < 0)
				return 1;
			if (p > 0)
				_exit(0);
			if (i == 0)
				setsid();
		}
	} else if (strcmp(argv[1], "fg") != 0) {
		return 2;
	}
	for (;;)
		pause();
}
