// Package constant stands in for github.com/openimsdk/chat/pkg/common/constant, which the
// reference sources do not include. Only the two names pkg/common/config/load.go uses:
// the runtime name it compares with runtimeenv.RuntimeEnvironment() ("kubernetes", the value
// of openimsdk/tools utils/runtimeenv Kubernetes) and the variable it reads the mount path
// from (CONFIG_PATH, OPENIM-FACTS 1.3; the server's main line names it MountConfigFilePath too).
package constant

const (
	KUBERNETES          = "kubernetes"
	MountConfigFilePath = "CONFIG_PATH"
)
