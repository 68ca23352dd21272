#!/usr/bin/env bash
# Copies the three kernel files gpio-sim needs out of the linux-source-6.1 tarball into a
# build folder and makes irq_sim.c buildable as part of a module.
#
# Why the patch: Debian's kernel has neither CONFIG_GPIO_SIM nor CONFIG_IRQ_SIM, so the IRQ
# simulator is compiled into our module. irq_sim.c calls irq_to_desc(), which the kernel
# does not export to modules; generic_handle_irq(irqnum) is exported and does the same
# thing for the simulator's (simple, unshared) interrupts: look up the descriptor and run
# its flow handler, handle_simple_irq.
#
# Usage: prepare-sources.sh /usr/src/linux-source-6.1.tar.xz BUILD_DIR
set -euo pipefail
tarball="${1:?linux-source tarball}"
out="${2:?build folder}"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --occurrence stops reading the (large) tarball once each member has been found.
tar -C "$tmp" -xf "$tarball" --wildcards --occurrence \
    '*/drivers/gpio/gpio-sim.c' '*/drivers/gpio/gpiolib.h' '*/kernel/irq/irq_sim.c'
top=$(ls "$tmp")
cp "$tmp/$top/drivers/gpio/gpio-sim.c" "$out/gpio-sim-core.c"
cp "$tmp/$top/drivers/gpio/gpiolib.h" "$out/gpiolib.h"
cp "$tmp/$top/kernel/irq/irq_sim.c" "$out/irq_sim.c"

old='handle_simple_irq(irq_to_desc(irqnum))'
new='generic_handle_irq(irqnum)'
grep -qF "$old" "$out/irq_sim.c" || {
    echo "prepare-sources: '$old' not found in irq_sim.c: the kernel source changed, update this patch" >&2
    exit 1
}
sed -i "s/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/" "$out/irq_sim.c"
if grep -q 'irq_to_desc' "$out/irq_sim.c"; then
    echo "prepare-sources: irq_sim.c still calls irq_to_desc(), which modules cannot use" >&2
    exit 1
fi
