package com.warroom.routes.support;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Optional;

/** Addresses of this machine, for tests of what a server bound to one of them can be reached on. */
public final class LocalAddresses {

    private LocalAddresses() {
    }

    /** An IPv4 address of an interface that is up and not the loopback, if the machine has one. */
    public static Optional<InetAddress> nonLoopbackIpv4() {
        try {
            return NetworkInterface.networkInterfaces()
                    .filter(LocalAddresses::upAndNotLoopback)
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                    .findFirst();
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    /** True when a TCP connection to address:port is accepted within a second. */
    public static boolean accepts(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean upAndNotLoopback(NetworkInterface i) {
        try {
            return i.isUp() && !i.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}
