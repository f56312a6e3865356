package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockFile is the file in an output folder that one run at a time holds.
const LockFile = ".rbgen.lock"

// LockWait is how long a run waits for another to finish with the folder
// (a variable so tests need not wait as long).
var LockWait = 5 * time.Second

// ErrLocked says another run holds the output folder.
var ErrLocked = errors.New("another rbgen run is writing to this folder")

// Lock takes dir for one run, from planning to the last write, so that two
// runs cannot number two runbooks alike or lose each other's registry
// entries. It holds an exclusive flock on dir/.rbgen.lock: the kernel
// drops it when the process dies, so a crashed run leaves no stale lock,
// and the file names the holder's PID for the message. It waits up to
// wait, then fails with ErrLocked. A missing folder is made, and removed
// again on unlock if the run left it empty (a failed run leaves nothing).
func Lock(dir string, wait time.Duration) (unlock func(), err error) {
	_, statErr := os.Stat(dir)
	made := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	deadline := time.Now().Add(wait)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil && sameFile(f, path) {
			f.Truncate(0)
			f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			return func() {
				// Removed before it is unlocked: a run waiting on this
				// file then finds it gone (sameFile) and opens the next.
				os.Remove(path)
				f.Close()
				if made {
					os.Remove(dir) // only if empty
				}
			}, nil
		}
		holder := readPID(path)
		f.Close()
		if err != nil && !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: %w (pid %s); wait for it to finish", dir, ErrLocked, holder)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sameFile says f is still the file at path: the holder before us may
// have removed it between our open and our lock.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

func readPID(path string) string {
	b, err := os.ReadFile(path)
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return pid
	}
	return "unknown"
}
