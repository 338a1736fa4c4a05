// Package health answers the liveness probe used by the Helm chart.
package health

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Handle reports that the service is up.
func Handle(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "service": "[[ .AppName ]]"})
}
