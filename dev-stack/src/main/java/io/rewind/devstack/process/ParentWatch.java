package io.rewind.devstack.process;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Runs a server's main class and ends the JVM when the process that started it is gone, so servers
 * started for a test run never outlive it, even when the test JVM is killed. Uses the JDK only: it
 * runs on the server's own classpath. {@code ParentWatch <parentPid> <mainClass> <args>...}
 */
public final class ParentWatch {
    private ParentWatch() {
    }

    public static void main(String[] args) throws Throwable {
        long parentPid = Long.parseLong(args[0]);
        Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
        Thread watch = new Thread(() -> {
            while (parent.map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.err.println("Rewind dev stack: parent process " + parentPid + " is gone, stopping");
            Thread halt = new Thread(() -> {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException ignored) {
                    // halting anyway
                }
                Runtime.getRuntime().halt(143);
            }, "rewind-parent-watch-halt");
            halt.setDaemon(true);
            halt.start();
            System.exit(143);
        }, "rewind-parent-watch");
        watch.setDaemon(true);
        watch.start();

        Method main = Class.forName(args[1]).getMethod("main", String[].class);
        // A public main of a package-private class (OpenTSDB's TSDMain) is only callable this way.
        main.setAccessible(true);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
