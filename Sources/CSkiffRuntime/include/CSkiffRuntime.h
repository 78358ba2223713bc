#ifndef CSKIFF_RUNTIME_H
#define CSKIFF_RUNTIME_H
#include <sys/types.h>

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process.
int skiff_set_child_subreaper(void);
/// pipe2(fds, O_CLOEXEC).
int skiff_pipe_cloexec(int fds[2]);
/// Spawns path with argv/envp and the given stdio descriptors (dup2'd to 0, 1, 2).
/// Returns the pid, or -errno.
pid_t skiff_spawn(const char *path, char *const argv[], char *const envp[], int in, int out, int err);
#endif
