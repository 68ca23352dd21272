/*
 * rig-init: the whole initramfs of the system-test guest, as one static program.
 *
 * Debian's kernel has virtio and ext4 as modules, so something must load them before the
 * root file system can be mounted. The distribution's initrd does that with a 30 MB
 * archive and its shell scripts, which cost several seconds of every boot under software
 * emulation; this does only what the guest needs: load the modules listed in
 * /modules.list (dependency order, made on the host by modprobe --show-depends), wait for
 * /dev/vda, mount it, and hand over to systemd. On any failure it says so on the console
 * (the host fails the run on a "RIG: FATAL" line) and powers the guest off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void fatal(const char *what)
{
	int e = errno;
	FILE *c = fopen("/dev/ttyS0", "w");
	if (!c)
		c = stderr;
	fprintf(c, "\nRIG: FATAL: initramfs: %s: %s\n", what, strerror(e));
	fflush(c);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	(void)argc;
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		fatal("mounting devtmpfs on /dev");

	FILE *list = fopen("/modules.list", "r");
	if (!list)
		fatal("opening /modules.list");
	char path[512];
	while (fgets(path, sizeof path, list)) {
		path[strcspn(path, "\n")] = '\0';
		if (!path[0])
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fatal(path);
		/* ENODEV: a CPU-specific variant (crc32c-intel) on a CPU without it; the generic
		 * one is in the list too. */
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST && errno != ENODEV)
			fatal(path);
		close(fd);
	}
	fclose(list);

	/* The virtio disk appears asynchronously once virtio_blk has probed it. */
	struct stat st;
	for (int i = 0; stat("/dev/vda", &st); i++) {
		if (i > 2000)
			fatal("waiting 20 s for /dev/vda");
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (mount("/dev/vda", "/root", "ext4", 0, NULL))
		fatal("mounting /dev/vda (ext4) on /root");
	if (mount("/dev", "/root/dev", NULL, MS_MOVE, NULL))
		fatal("moving /dev into the root");
	/* switch_root: the initramfs stays in memory (it is about 3 MB), unreferenced. */
	if (chdir("/root") || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		fatal("switching to the root file system");
	argv[0] = "/sbin/init";
	execv("/sbin/init", argv);
	fatal("starting /sbin/init");
}
