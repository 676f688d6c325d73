/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's network: a fresh namespace whose only device is loopback.
 * Jobs may listen on 127.0.0.1 (app stages need it); there is no route to
 * anything else, including the host's own loopback services, because the
 * host's 127.0.0.1 lives in another namespace.
 */
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.hpp"

namespace benchd::sandbox::child {

void bringUpLoopback()
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail(Step::Loopback, errno, "(socket)");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail(Step::Loopback, errno, "(get flags)");
	/* The kernel gives lo 127.0.0.1/8 and ::1 itself once it is up. */
	ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail(Step::Loopback, errno, "(set flags)");
	close(s);
}

} /* namespace benchd::sandbox::child */
