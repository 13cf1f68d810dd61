/*
 * An LD_PRELOAD library that makes DCMTK's storescp durable the way a receiver must be
 * (bench/receiver.bench.ts and bench/store-scp.bench.ts, side "storescp-fsync"): when it closes
 * a file it wrote under $FSYNC_ON_CLOSE_DIR, the file is fdatasynced first and its directory
 * fsynced after. storescp writes each object straight under its final name and closes it before
 * it sends the C-STORE response, so every Success it sends then follows a durable file and name,
 * as ours does. It still keeps no index and no temporary name: a crash can leave a partial file
 * under a final name, which ours never does.
 *
 * Build: cc -O2 -shared -fPIC -o libfsync-on-close.so fsync-on-close.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int (*real_close)(int);
static int (*real_fclose)(FILE *);

/*
 * The directory to fsync when `fd` is a regular file opened for writing under the watched
 * directory; an empty string otherwise. The data is fdatasynced here.
 */
static void sync_if_watched(int fd, char *directory, size_t size) {
  directory[0] = '\0';
  const char *watched = getenv("FSYNC_ON_CLOSE_DIR");
  if (watched == NULL || fd < 0) return;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY) return;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  if (strncmp(path, watched, strlen(watched)) != 0) return;
  fdatasync(fd);
  snprintf(directory, size, "%s", dirname(path));
}

static void sync_directory(const char *directory) {
  if (directory[0] == '\0') return;
  int fd = open(directory, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  fsync(fd);
  real_close(fd);
}

int close(int fd) {
  if (real_close == NULL) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
  char directory[PATH_MAX];
  sync_if_watched(fd, directory, sizeof directory);
  int result = real_close(fd);
  sync_directory(directory);
  return result;
}

int fclose(FILE *stream) {
  if (real_fclose == NULL) real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
  if (real_close == NULL) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
  char directory[PATH_MAX];
  fflush(stream);
  sync_if_watched(fileno(stream), directory, sizeof directory);
  int result = real_fclose(stream);
  sync_directory(directory);
  return result;
}
