/*
 * The durability floor of a receiver (bench/receiver.bench.ts, side "floor"): the file system
 * calls a receiver must make before it may answer a C-STORE with Success, and nothing else. No
 * network, no DICOM parsing, no index. For each source file, on one of N threads (file k goes to
 * thread k % N, as the benchmark splits the files between its storescu processes):
 *
 *   read the file into memory (the page cache is warm: this stands for the network receive),
 *   open a temporary file (O_CREAT | O_EXCL) in <out>/.tmp/, write the bytes, fdatasync, close,
 *   make the series directory <out>/s<k / 100>/ if it is new (mkdir, then fsync of <out>),
 *   link the temporary name to <out>/s<k / 100>/<k>.dcm, fsync that directory,
 *   unlink the temporary name.
 *
 * That is Niffler's receiver's sequence (src/receive/instance-store.ts) without its index commit,
 * so its rate is an upper bound for any receiver that makes each object and its name durable
 * before answering, on this machine's disk. Written in C so that no runtime overhead counts.
 *
 * Usage: durable-chain OUT THREADS FILE...
 * Prints one JSON line: files, seconds, filesPerSecond and the p50/p90 of the write, fdatasync
 * and directory fsync steps in ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SERIES_SIZE 100
#define MAX_SERIES 4096

static const char *out;
static char **files;
static int count;
static int threads;
static double *write_ms, *sync_ms, *dir_ms;
static int root_fd;
static int series_fd[MAX_SERIES];
static pthread_mutex_t series_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void fail(const char *what, const char *path) {
  fprintf(stderr, "durable-chain: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

/* The series directory's descriptor, made (and its name made durable) by its first user. */
static int series_directory(int series) {
  pthread_mutex_lock(&series_lock);
  if (series_fd[series] == 0) {
    char path[4096];
    snprintf(path, sizeof path, "%s/s%d", out, series);
    if (mkdir(path, 0750) != 0 && errno != EEXIST) fail("mkdir", path);
    if (fsync(root_fd) != 0) fail("fsync", out);
    series_fd[series] = open(path, O_RDONLY | O_DIRECTORY);
    if (series_fd[series] < 0) fail("open", path);
  }
  int fd = series_fd[series];
  pthread_mutex_unlock(&series_lock);
  return fd;
}

static void *writer(void *arg) {
  long id = (long)arg;
  size_t capacity = 0;
  char *buffer = NULL;
  char temp[4096], final[4096];
  for (int k = (int)id; k < count; k += threads) {
    int source = open(files[k], O_RDONLY);
    if (source < 0) fail("open", files[k]);
    struct stat st;
    if (fstat(source, &st) != 0) fail("stat", files[k]);
    size_t size = (size_t)st.st_size;
    if (size > capacity) {
      capacity = size;
      buffer = realloc(buffer, capacity);
      if (buffer == NULL) fail("realloc", files[k]);
    }
    for (size_t done = 0; done < size;) {
      ssize_t n = pread(source, buffer + done, size - done, (off_t)done);
      if (n <= 0) fail("read", files[k]);
      done += (size_t)n;
    }
    close(source);

    snprintf(temp, sizeof temp, "%s/.tmp/t%d", out, k);
    int series = k / SERIES_SIZE;
    snprintf(final, sizeof final, "%s/s%d/%d.dcm", out, series, k);
    double t0 = now_ms();
    int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) fail("open", temp);
    for (size_t done = 0; done < size;) {
      ssize_t n = write(fd, buffer + done, size - done);
      if (n <= 0) fail("write", temp);
      done += (size_t)n;
    }
    double t1 = now_ms();
    if (fdatasync(fd) != 0) fail("fdatasync", temp);
    double t2 = now_ms();
    close(fd);
    int directory = series_directory(series);
    if (link(temp, final) != 0) fail("link", final);
    double t3 = now_ms();
    if (fsync(directory) != 0) fail("fsync", final);
    double t4 = now_ms();
    if (unlink(temp) != 0) fail("unlink", temp);
    write_ms[k] = t1 - t0;
    sync_ms[k] = t2 - t1;
    dir_ms[k] = t4 - t3;
  }
  free(buffer);
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(double *values, double p) {
  qsort(values, (size_t)count, sizeof *values, by_value);
  return values[(int)(p * (count - 1))];
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: durable-chain OUT THREADS FILE...\n");
    return 2;
  }
  out = argv[1];
  threads = atoi(argv[2]);
  files = argv + 3;
  count = argc - 3;
  if (threads < 1 || count / SERIES_SIZE >= MAX_SERIES) {
    fprintf(stderr, "durable-chain: bad thread or file count\n");
    return 2;
  }
  char temp_dir[4096];
  snprintf(temp_dir, sizeof temp_dir, "%s/.tmp", out);
  if (mkdir(out, 0750) != 0 && errno != EEXIST) fail("mkdir", out);
  if (mkdir(temp_dir, 0750) != 0 && errno != EEXIST) fail("mkdir", temp_dir);
  root_fd = open(out, O_RDONLY | O_DIRECTORY);
  if (root_fd < 0) fail("open", out);
  write_ms = calloc((size_t)count, sizeof(double));
  sync_ms = calloc((size_t)count, sizeof(double));
  dir_ms = calloc((size_t)count, sizeof(double));

  pthread_t *ids = calloc((size_t)threads, sizeof(pthread_t));
  double start = now_ms();
  for (long i = 0; i < threads; i++) pthread_create(&ids[i], NULL, writer, (void *)i);
  for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
  double seconds = (now_ms() - start) / 1e3;

  printf("{\"files\":%d,\"seconds\":%.3f,\"filesPerSecond\":%.1f,"
         "\"writeMs\":[%.2f,%.2f],\"fdatasyncMs\":[%.2f,%.2f],\"directoryFsyncMs\":[%.2f,%.2f]}\n",
         count, seconds, count / seconds, percentile(write_ms, 0.5), percentile(write_ms, 0.9),
         percentile(sync_ms, 0.5), percentile(sync_ms, 0.9), percentile(dir_ms, 0.5),
         percentile(dir_ms, 0.9));
  return 0;
}
