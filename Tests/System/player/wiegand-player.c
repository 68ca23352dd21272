/*
 * wiegand-player: plays the cabinet's inputs on a gpio-sim chip, for the system tests.
 *
 * gpio-sim exposes, for each line, /sys/devices/platform/<dev>/<gpiochipN>/sim_gpio<K>/
 * with "pull" (write "pull-up"/"pull-down": what a device wired to an input would drive)
 * and "value" (read: the line's level, e.g. what the daemon drives on an output).
 * Lines are found by name through gpio-sim's configfs tree
 * (/sys/kernel/config/gpio-sim/<dev>/bank<B>/line<K>/name), exactly the names of the pin map.
 *
 * A shell loop is far too slow for Wiegand under qemu's software emulation (~30 ms per
 * external command); this program keeps both data lines' files open and writes at absolute
 * CLOCK_MONOTONIC deadlines, so one late wake-up does not shift every later bit.
 *
 * Usage:
 *   player wiegand READER NBITS BITS [PULSE_US [PERIOD_US]]
 *        READER: counter | return | D0NAME,D1NAME. Lines idle high; each bit is a low
 *        pulse (default 80 us) on D0 (bit 0) or D1 (bit 1), one bit every PERIOD_US (2000).
 *        Prints the pulse widths it achieved; exits 1 if a pulse ran into the next bit.
 *   player set LINE 0|1          drive an input high (pull-up) or low (pull-down)
 *   player pulse LINE 0|1 MS     drive it to the level for MS ms, then back to the other one
 *   player get LINE              print the line's value (0 or 1), e.g. the lock output
 *   player wait LINE 0|1 MS      wait until the line reads the value (prints CLOCK_MONOTONIC
 *                                in us when it did); exit 1 after MS ms
 *   player where LINE            print the line's sim_gpio folder
 *   player clock-synced          tell the kernel the clock is synchronised (clears
 *                                STA_UNSYNC, as an NTP daemon would): the guest has no NTP
 *   player clock-state           exit 0 if the kernel says synchronised, 1 if not, 2 on error
 *   player clock-unsynced        set STA_UNSYNC again (what the kernel does when NTP is lost)
 *   player keeper LINE...        stay running and play the physical world for these input
 *                                lines: whenever a program requests or reconfigures one of
 *                                them (a bias in the request moves gpio-sim's pull), put
 *                                back the level the rig last set (see below)
 *   player journal-fill          fill journald's native socket queue with datagrams (only
 *                                blocks anything while journald is stopped); prints the count
 *
 * `set` and `pulse` remember the level they leave a line at in $RIG_LINE_STATE/NAME
 * (default /run/rig-lines): a reed switch closed to ground holds the door line low against
 * the pull-up the pin map requests, but gpio-sim has only one "pull" per line, which the
 * request's bias overwrites. The keeper restores it (ARCHITECTURE.md section 7; the rig's
 * docs/system-tests.md, "Facts about gpio-sim").
 * Exit status: 0 ok, 1 failure (timeout, line not found, I/O error), 64 usage.
 * Environment: GPIO_SIM_CONFIGFS (default /sys/kernel/config/gpio-sim).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gpio.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define NSEC 1000000000LL

static void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("player: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Finds the sim_gpio folder of the line called `name`; 0 on success. */
static int find_line(const char *name, char *out, size_t outsize)
{
	const char *root = getenv("GPIO_SIM_CONFIGFS");
	if (!root)
		root = "/sys/kernel/config/gpio-sim";
	DIR *devs = opendir(root);
	if (!devs)
		die(1, "cannot open %s: %s (is gpio-sim loaded and the chip set up?)", root, strerror(errno));
	struct dirent *d, *b, *l;
	int found = -1;
	char path[PATH_MAX], buf[256], devname[128], chipname[128];
	while (found && (d = readdir(devs))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/dev_name", root, d->d_name);
		if (read_small(path, devname, sizeof devname) || !devname[0])
			continue; /* not live */
		snprintf(path, sizeof path, "%s/%s", root, d->d_name);
		DIR *banks = opendir(path);
		if (!banks)
			continue;
		while (found && (b = readdir(banks))) {
			if (strncmp(b->d_name, "bank", 4))
				continue;
			snprintf(path, sizeof path, "%s/%s/%s/chip_name", root, d->d_name, b->d_name);
			if (read_small(path, chipname, sizeof chipname) || !chipname[0])
				continue;
			snprintf(path, sizeof path, "%s/%s/%s", root, d->d_name, b->d_name);
			DIR *lines = opendir(path);
			if (!lines)
				continue;
			while (found && (l = readdir(lines))) {
				if (strncmp(l->d_name, "line", 4))
					continue;
				snprintf(path, sizeof path, "%s/%s/%s/%s/name", root, d->d_name, b->d_name, l->d_name);
				if (read_small(path, buf, sizeof buf) || strcmp(buf, name))
					continue;
				snprintf(out, outsize, "/sys/devices/platform/%s/%s/sim_gpio%s", devname, chipname,
					 l->d_name + 4);
				found = 0;
			}
			closedir(lines);
		}
		closedir(banks);
	}
	closedir(devs);
	return found;
}

static void line_dir(const char *name, char *out, size_t outsize)
{
	if (find_line(name, out, outsize))
		die(1, "no gpio-sim line named '%s'", name);
}

static int open_attr(const char *name, const char *attr, int flags)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	line_dir(name, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/%s", dir, attr);
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		die(1, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

static const char *pull_of(int level) { return level ? "pull-up" : "pull-down"; }

static void write_pull(int fd, int level, const char *name)
{
	const char *s = pull_of(level);
	if (pwrite(fd, s, strlen(s), 0) < 0)
		die(1, "writing %s to line '%s': %s", s, name, strerror(errno));
}

static int read_value_fd(int fd, const char *name)
{
	char c;
	if (pread(fd, &c, 1, 0) != 1)
		die(1, "reading the value of line '%s': %s", name, strerror(errno));
	return c == '1';
}

static int parse_level(const char *s)
{
	if (!strcmp(s, "0") || !strcmp(s, "low"))
		return 0;
	if (!strcmp(s, "1") || !strcmp(s, "high"))
		return 1;
	die(64, "level must be 0 or 1, not '%s'", s);
	return 0;
}

static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		die(64, "%s must be a number from %ld to %ld, not '%s'", what, lo, hi, s);
	return v;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static void sleep_until(long long t)
{
	struct timespec ts = {.tv_sec = t / NSEC, .tv_nsec = t % NSEC};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void realtime_if_possible(void)
{
	/* Best effort: fewer late wake-ups, not correctness. Below the kernel's threaded IRQ
	 * handlers (SCHED_FIFO 50), which must record each edge before the next one. */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	struct sched_param sp = {.sched_priority = 40};
	sched_setscheduler(0, SCHED_FIFO, &sp);
}

static int cmd_wiegand(int argc, char **argv)
{
	if (argc < 3 || argc > 5)
		die(64, "usage: player wiegand READER NBITS BITS [PULSE_US [PERIOD_US]]");
	char d0[128], d1[128];
	if (!strcmp(argv[0], "counter") || !strcmp(argv[0], "return")) {
		snprintf(d0, sizeof d0, "%s-d0", argv[0]);
		snprintf(d1, sizeof d1, "%s-d1", argv[0]);
	} else {
		const char *comma = strchr(argv[0], ',');
		if (!comma || comma == argv[0] || !comma[1] || (size_t)(comma - argv[0]) >= sizeof d0)
			die(64, "READER must be counter, return or D0NAME,D1NAME");
		snprintf(d0, sizeof d0, "%.*s", (int)(comma - argv[0]), argv[0]);
		snprintf(d1, sizeof d1, "%s", comma + 1);
	}
	long nbits = parse_num(argv[1], 1, 256, "NBITS");
	const char *bits = argv[2];
	if ((long)strlen(bits) != nbits || strspn(bits, "01") != strlen(bits))
		die(64, "BITS must be %ld characters of 0 and 1", nbits);
	long pulse_us = argc > 3 ? parse_num(argv[3], 1, 100000, "PULSE_US") : 80;
	long period_us = argc > 4 ? parse_num(argv[4], 2, 1000000, "PERIOD_US") : 2000;
	if (pulse_us >= period_us)
		die(64, "PULSE_US must be shorter than PERIOD_US");

	int fd[2] = {open_attr(d0, "pull", O_WRONLY), open_attr(d1, "pull", O_WRONLY)};
	int vfd[2] = {open_attr(d0, "value", O_RDONLY), open_attr(d1, "value", O_RDONLY)};
	const char *names[2] = {d0, d1};
	realtime_if_possible();
	/* Idle state of a Wiegand bus: both lines high. */
	int was_low = 0;
	for (int i = 0; i < 2; i++) {
		if (!read_value_fd(vfd[i], names[i])) {
			write_pull(fd[i], 1, names[i]);
			was_low = 1;
		}
	}
	long long t0 = now_ns() + (was_low ? 30000000LL : 1000000LL);
	long long worst_late = 0, pmin = -1, pmax = 0;
	int overlaps = 0;
	for (long i = 0; i < nbits; i++) {
		int line = bits[i] == '1';
		long long t = t0 + i * period_us * 1000LL;
		sleep_until(t);
		long long fell = now_ns();
		if (fell - t > worst_late)
			worst_late = fell - t;
		write_pull(fd[line], 0, names[line]);
		sleep_until(t + pulse_us * 1000LL);
		write_pull(fd[line], 1, names[line]);
		long long rose = now_ns(), width = rose - fell;
		if (pmin < 0 || width < pmin)
			pmin = width;
		if (width > pmax)
			pmax = width;
		if (i + 1 < nbits && rose > t + period_us * 1000LL)
			overlaps++; /* this pulse ended after the next bit was due */
	}
	/* A stable line other programs (the scenarios) parse: keep its shape. */
	fprintf(stderr, "player: wiegand %ld bits on %s/%s: pulse %lld..%lld us, worst late start %lld us, "
			"overlaps %d (target pulse %ld us, period %ld us)\n",
		nbits, d0, d1, pmin / 1000, pmax / 1000, worst_late / 1000, overlaps, pulse_us, period_us);
	return overlaps ? 1 : 0;
}

static const char *state_dir(void)
{
	const char *d = getenv("RIG_LINE_STATE");
	return d ? d : "/run/rig-lines";
}

/* Remembers the level the rig left an input at, for the keeper. */
static void remember(const char *name, int level)
{
	char path[PATH_MAX];
	mkdir(state_dir(), 0755);
	snprintf(path, sizeof path, "%s/%s", state_dir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(1, "cannot write %s: %s", path, strerror(errno));
	if (write(fd, level ? "1\n" : "0\n", 2) != 2)
		die(1, "cannot write %s: %s", path, strerror(errno));
	close(fd);
}

static int remembered(const char *name)
{
	char path[PATH_MAX], buf[8];
	snprintf(path, sizeof path, "%s/%s", state_dir(), name);
	if (read_small(path, buf, sizeof buf))
		return -1;
	return buf[0] == '1';
}

struct kept {
	const char *name;
	char dir[PATH_MAX];
	char chipdev[64];
	unsigned offset;
	int chipfd;
	int pullfd;
};

static void keep_one(struct kept *k, const char *why)
{
	int level = remembered(k->name);
	if (level < 0)
		return;
	write_pull(k->pullfd, level, k->name);
	fprintf(stderr, "player keeper: %s %s: pull back to %s\n", k->name, why, pull_of(level));
}

/* Watches line-info changes (GPIO v2 uAPI) of the given lines and restores their pull. */
static int cmd_keeper(int n, char **names)
{
	if (n < 1 || n > 32)
		die(64, "usage: player keeper LINE...");
	struct kept k[32];
	struct pollfd pfd[32];
	int nfds = 0;
	for (int i = 0; i < n; i++) {
		k[i].name = names[i];
		line_dir(names[i], k[i].dir, sizeof k[i].dir);
		/* .../<dev>/gpiochipN/sim_gpioK */
		const char *sim = strrchr(k[i].dir, '/');
		k[i].offset = (unsigned)atoi(sim + 1 + strlen("sim_gpio"));
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof tmp, "%.*s", (int)(sim - k[i].dir), k[i].dir);
		snprintf(k[i].chipdev, sizeof k[i].chipdev, "/dev/%s", strrchr(tmp, '/') + 1);
		k[i].pullfd = open_attr(names[i], "pull", O_WRONLY);
		k[i].chipfd = -1;
		for (int j = 0; j < i; j++)
			if (!strcmp(k[j].chipdev, k[i].chipdev))
				k[i].chipfd = k[j].chipfd;
		if (k[i].chipfd < 0) {
			k[i].chipfd = open(k[i].chipdev, O_RDWR | O_CLOEXEC);
			if (k[i].chipfd < 0)
				die(1, "cannot open %s: %s", k[i].chipdev, strerror(errno));
			pfd[nfds].fd = k[i].chipfd;
			pfd[nfds].events = POLLIN;
			nfds++;
		}
		struct gpio_v2_line_info info;
		memset(&info, 0, sizeof info);
		info.offset = k[i].offset;
		if (ioctl(k[i].chipfd, GPIO_V2_GET_LINEINFO_WATCH_IOCTL, &info) < 0)
			die(1, "watching %s (%s offset %u): %s", names[i], k[i].chipdev, k[i].offset, strerror(errno));
		if (remembered(names[i]) < 0) {
			int vfd = open_attr(names[i], "value", O_RDONLY);
			remember(names[i], read_value_fd(vfd, names[i]));
			close(vfd);
		}
		keep_one(&k[i], "at start");
	}
	realtime_if_possible();
	fprintf(stderr, "player keeper: watching %d line(s)\n", n);
	for (;;) {
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(1, "poll: %s", strerror(errno));
		}
		for (int f = 0; f < nfds; f++) {
			if (!(pfd[f].revents & POLLIN))
				continue;
			struct gpio_v2_line_info_changed ev;
			if (read(pfd[f].fd, &ev, sizeof ev) != (ssize_t)sizeof ev)
				die(1, "reading line-info events: %s", strerror(errno));
			if (ev.event_type == GPIO_V2_LINE_CHANGED_RELEASED)
				continue;
			for (int i = 0; i < n; i++)
				if (k[i].chipfd == pfd[f].fd && k[i].offset == ev.info.offset)
					keep_one(&k[i], ev.event_type == GPIO_V2_LINE_CHANGED_REQUESTED ? "requested" : "reconfigured");
		}
	}
	return 0;
}

/* Sends small datagrams to journald's native socket until its receive queue is full
 * (net.unix.max_dgram_qlen datagrams). A datagram is charged to its sender's send buffer
 * until it is read, so one socket runs out of buffer first (EAGAIN after a few hundred):
 * it goes on with new sockets until a fresh socket cannot send even one datagram, which
 * only a full receive queue explains. The sockets stay open until the caller's exit. */
static int cmd_journal_fill(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "/run/systemd/journal/socket");
	const char msg[] = "MESSAGE=dosecab rig: journal queue filler\nSYSLOG_IDENTIFIER=dosecab-rig-fill\nPRIORITY=7\n";
	long total = 0;
	for (int s = 0; s < 256; s++) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die(1, "socket: %s", strerror(errno));
		long n = 0;
		for (;;) {
			if (sendto(fd, msg, sizeof msg - 1, 0, (struct sockaddr *)&a, sizeof a) < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				die(1, "sendto: %s", strerror(errno));
			}
			n++;
		}
		total += n;
		if (n == 0) {
			printf("%ld\n", total);
			return 0;
		}
	}
	die(1, "sent %ld datagrams from 256 sockets and the queue is still not full: is journald stopped?", total);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die(64, "usage: player wiegand|set|pulse|get|wait|where|keeper|journal-fill|clock-synced ... (see the source's header)");
	const char *cmd = argv[1];
	char dir[PATH_MAX];
	if (!strcmp(cmd, "wiegand"))
		return cmd_wiegand(argc - 2, argv + 2);
	if (!strcmp(cmd, "set") && argc == 4) {
		int fd = open_attr(argv[2], "pull", O_WRONLY);
		int level = parse_level(argv[3]);
		remember(argv[2], level);
		write_pull(fd, level, argv[2]);
		return 0;
	}
	if (!strcmp(cmd, "pulse") && argc == 5) {
		int fd = open_attr(argv[2], "pull", O_WRONLY);
		int level = parse_level(argv[3]);
		long ms = parse_num(argv[4], 0, 3600000, "MS");
		long long t = now_ns();
		remember(argv[2], !level);
		write_pull(fd, level, argv[2]);
		sleep_until(t + ms * 1000000LL);
		write_pull(fd, !level, argv[2]);
		return 0;
	}
	if (!strcmp(cmd, "get") && argc == 3) {
		int fd = open_attr(argv[2], "value", O_RDONLY);
		printf("%d\n", read_value_fd(fd, argv[2]));
		return 0;
	}
	if (!strcmp(cmd, "wait") && argc == 5) {
		int fd = open_attr(argv[2], "value", O_RDONLY);
		int level = parse_level(argv[3]);
		long long end = now_ns() + parse_num(argv[4], 0, 3600000, "MS") * 1000000LL;
		for (;;) {
			if (read_value_fd(fd, argv[2]) == level) {
				/* When it was seen, in the journal's __MONOTONIC_TIMESTAMP unit (us). */
				printf("%lld\n", now_ns() / 1000);
				return 0;
			}
			if (now_ns() > end) {
				fprintf(stderr, "player: line '%s' did not read %d within %s ms\n", argv[2], level, argv[4]);
				return 1;
			}
			usleep(1000);
		}
	}
	if (!strcmp(cmd, "where") && argc == 3) {
		line_dir(argv[2], dir, sizeof dir);
		puts(dir);
		return 0;
	}
	if (!strcmp(cmd, "keeper"))
		return cmd_keeper(argc - 2, argv + 2);
	if (!strcmp(cmd, "journal-fill") && argc == 2)
		return cmd_journal_fill();
	if (!strcmp(cmd, "clock-state") && argc == 2) {
		struct timex tx = {.modes = 0};
		int state = adjtimex(&tx);
		if (state < 0) {
			printf("error: %s\n", strerror(errno));
			return 2;
		}
		printf("%s (status 0x%x)\n", state == TIME_ERROR ? "unsynchronised" : "synchronised", tx.status);
		return state == TIME_ERROR;
	}
	if (!strcmp(cmd, "clock-unsynced") && argc == 2) {
		struct timex tx = {.modes = ADJ_STATUS, .status = STA_UNSYNC};
		if (adjtimex(&tx) < 0)
			die(1, "adjtimex: %s", strerror(errno));
		return 0;
	}
	if (!strcmp(cmd, "clock-synced") && argc == 2) {
		struct timex tx = {.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
				   .status = 0, .maxerror = 1000, .esterror = 100};
		if (adjtimex(&tx) < 0)
			die(1, "adjtimex: %s", strerror(errno));
		memset(&tx, 0, sizeof tx);
		int state = adjtimex(&tx);
		if (state == TIME_ERROR)
			die(1, "the kernel still reports the clock unsynchronised (status 0x%x)", tx.status);
		return 0;
	}
	die(64, "unknown command or wrong arguments: %s (see the source's header)", cmd);
	return 64;
}
