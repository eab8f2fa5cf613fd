#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake sysfs tree of a two-socket AMD EPYC GPU server with more than 64
endpoints, for the host test of `p2pbuf topo` at server scale.

    mkserver.py DIR

Shape: after the `lspci -tv` and `nvidia-smi topo -m` outputs of 2-socket
EPYC (Rome/Milan) 8-GPU servers in NCCL's issue tracker (github.com/NVIDIA/
nccl, threads on NODE/SYS paths between GPUs and ConnectX NICs): four root
complexes (0000:00 and 0000:40 on NUMA node 0, 0000:80 and 0000:c0 on node
1, host bridge 1022:1480), each with two root ports leading to a PEX switch
(ACS redirect on its downstream ports, as the kernel sets it with the IOMMU
on) holding two GPUs, a dual-port ConnectX-6 and an NVMe drive, and six NVMe
drives on root ports of their own; the BMC's VGA, SATA and USB on the first.
The GPUs are p2pbuf_bar providers.
"""
import os
import shutil
import struct
import sys

root = sys.argv[1]
shutil.rmtree(root, ignore_errors=True)
for d in ("bus/pci/devices", "class/iommu/ivhd0", "bus/pci/drivers",
          "module/p2pbuf/parameters"):
    os.makedirs(os.path.join(root, d))
for name, val in (("allow_bridges", ""), ("deny_bridges", ""),
                  ("kernel_whitelist", "N")):
    with open(os.path.join(root, "module/p2pbuf/parameters", name), "w") as f:
        f.write(val + "\n")


def dev(path, vendor, device, cls, driver, pcie_type, acs, node, link=None):
    name = path.rsplit("/", 1)[-1]
    d = os.path.join(root, "devices", path)
    os.makedirs(d)
    attrs = {"vendor": "0x%04x" % vendor, "device": "0x%04x" % device,
             "class": "0x%06x" % cls, "numa_node": str(node)}
    if link:
        attrs["current_link_speed"] = "%s GT/s PCIe" % link[0]
        attrs["current_link_width"] = str(link[1])
    for k, v in attrs.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v + "\n")
    if driver:
        os.makedirs(os.path.join(root, "bus/pci/drivers", driver), exist_ok=True)
        os.symlink("../../../../bus/pci/drivers/" + driver,
                   os.path.join(d, "driver"))
    cfg = bytearray(4096)
    struct.pack_into("<HH", cfg, 0, vendor, device)
    if pcie_type is not None:
        cfg[6] = 0x10
        cfg[0x34] = 0x40
        cfg[0x40] = 0x10
        cfg[0x42] = (pcie_type << 4) | 2
    if acs is not None:
        struct.pack_into("<IHH", cfg, 0x100, 0x0001000d, 0x1f, acs)
    with open(os.path.join(d, "config"), "wb") as f:
        f.write(cfg)
    os.symlink("../../../devices/" + path,
               os.path.join(root, "bus/pci/devices", name))


for rc in (0x00, 0x40, 0x80, 0xc0):
    node = rc // 0x80
    hb = "pci0000:%02x" % rc
    dev("%s/0000:%02x:00.0" % (hb, rc), 0x1022, 0x1480, 0x060000, None, None,
        None, node)
    for sw in (0, 1):
        rp = "%s/0000:%02x:%02x.1" % (hb, rc, 1 + 2 * sw)
        up, dn = rc + 1 + 6 * sw, rc + 2 + 6 * sw
        dev(rp, 0x1022, 0x1483, 0x060400, "pcieport", 4, 0x001d, node)
        usp = "%s/0000:%02x:00.0" % (rp, up)
        dev(usp, 0x10b5, 0xc010, 0x060400, "pcieport", 5, 0x0000, node)
        for port in range(4):
            dsp = "%s/0000:%02x:%02x.0" % (usp, dn, port)
            ep = "%s/0000:%02x:00" % (dsp, dn + 1 + port)
            dev(dsp, 0x10b5, 0xc010, 0x060400, "pcieport", 6, 0x001d, node)
            if port < 2:
                dev(ep + ".0", 0x10de, 0x20b0, 0x030200, "p2pbuf_bar", 0, None,
                    node, ("16.0", 16))
            elif port == 2:
                for fn in (0, 1):
                    dev("%s.%d" % (ep, fn), 0x15b3, 0x101b, 0x020700,
                        "mlx5_core", 0, None, node, ("16.0", 16))
            else:
                dev(ep + ".0", 0x144d, 0xa824, 0x010802, "nvme", 0, None, node,
                    ("16.0", 4))
    for n in range(6):
        rp = "%s/0000:%02x:%02x.%d" % (hb, rc, 4 + n // 3, n % 3 + 1)
        dev(rp, 0x1022, 0x1483, 0x060400, "pcieport", 4, 0x001d, node)
        dev("%s/0000:%02x:00.0" % (rp, rc + 13 + n), 0x144d, 0xa824, 0x010802,
            "nvme", 0, None, node, ("16.0", 4))
dev("pci0000:00/0000:00:07.1", 0x1022, 0x1484, 0x060400, "pcieport", 4, 0x001d, 0)
dev("pci0000:00/0000:00:07.1/0000:20:00.0", 0x1a03, 0x2000, 0x030000, "ast", 0,
    None, 0, ("2.5", 1))
dev("pci0000:00/0000:00:08.1", 0x1022, 0x1484, 0x060400, "pcieport", 4, 0x001d, 0)
dev("pci0000:00/0000:00:08.1/0000:21:00.0", 0x1022, 0x7901, 0x010601, "ahci", 0,
    None, 0, ("16.0", 16))
dev("pci0000:00/0000:00:08.1/0000:21:00.3", 0x1022, 0x149c, 0x0c0330,
    "xhci_hcd", 0, None, 0, ("16.0", 16))
os.makedirs(os.path.join(root, "../proc"), exist_ok=True)
with open(os.path.join(root, "../proc/cpuinfo"), "w") as f:
    f.write("vendor_id\t: AuthenticAMD\ncpu family\t: 25\n")
