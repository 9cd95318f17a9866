/* bench/readfloor.c - the read floor of `upc check`: open and read every
 * job file of a tree (the same set upc reads: `*.conf` and `*.override`,
 * recursively, hidden names skipped), nothing else.
 *
 * Usage: readfloor THREADS DIR
 *
 * The directory walk runs on the main thread and collects the paths; then
 * THREADS threads (1 or more) take files from a shared counter, open each,
 * read it to the end into a thread-local buffer and close it. The total
 * byte count is printed so the reads cannot be optimised away. Built by
 * bench/check.sh with `cc -O2 -pthread`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **paths;
static size_t npaths, cap;
static atomic_size_t next_path;

static int wanted(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".conf") == 0) ||
           (n > 9 && strcmp(name + n - 9, ".override") == 0);
}

static void add(const char *dir, const char *name)
{
    if (npaths == cap) {
        cap = cap ? cap * 2 : 1024;
        paths = realloc(paths, cap * sizeof *paths);
        if (!paths) { perror("realloc"); exit(2); }
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) { perror("malloc"); exit(2); }
    snprintf(p, len, "%s/%s", dir, name);
    paths[npaths++] = p;
}

static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) { perror(dir); return; }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (e->d_type == DT_DIR) {
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            char *sub = malloc(len);
            if (!sub) { perror("malloc"); exit(2); }
            snprintf(sub, len, "%s/%s", dir, e->d_name);
            walk(sub);
            free(sub);
        } else if (wanted(e->d_name)) {
            add(dir, e->d_name);
        }
    }
    closedir(d);
}

static void *reader(void *arg)
{
    static _Thread_local char buf[64 * 1024];
    size_t total = 0;
    (void)arg;
    for (;;) {
        size_t i = atomic_fetch_add(&next_path, 1);
        if (i >= npaths)
            break;
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) { perror(paths[i]); continue; }
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            total += (size_t)n;
        close(fd);
    }
    return (void *)total;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: readfloor THREADS DIR\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    if (threads < 1)
        threads = 1;
    walk(argv[2]);
    pthread_t tid[64];
    if (threads > 64)
        threads = 64;
    for (int t = 1; t < threads; t++)
        pthread_create(&tid[t], NULL, reader, NULL);
    size_t total = (size_t)reader(NULL);
    for (int t = 1; t < threads; t++) {
        void *r;
        pthread_join(tid[t], &r);
        total += (size_t)r;
    }
    printf("%zu files, %zu bytes\n", npaths, total);
    return 0;
}
