package notes

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// API exposes a Store over HTTP.
type API struct {
	store *Store
}

// NewAPI wires the handlers to a store.
func NewAPI(store *Store) *API {
	return &API{store: store}
}

// List answers GET /notes.
func (a *API) List(c *gin.Context) {
	c.JSON(http.StatusOK, a.store.All())
}

// Get answers GET /notes/:id.
func (a *API) Get(c *gin.Context) {
	if n, ok := a.store.Find(c.Param("id")); ok {
		c.JSON(http.StatusOK, n)
		return
	}
	c.JSON(http.StatusNotFound, gin.H{"message": "note not found"})
}

// Create answers POST /notes with a JSON body {"text": "..."}.
func (a *API) Create(c *gin.Context) {
	var in Note
	if err := c.ShouldBindJSON(&in); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"message": err.Error()})
		return
	}
	c.JSON(http.StatusCreated, a.store.Add(in.Text))
}
