// Command [[ .AppName ]] serves a small notes API over HTTP.
package main

import (
	"log"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/[[ .Repo.Owner ]]/[[ .Repo.Name ]]/internal/pkg/health"
	"github.com/[[ .Repo.Owner ]]/[[ .Repo.Name ]]/internal/pkg/notes"
)

func main() {
	router := gin.Default()
	router.GET("/healthz", health.Handle)

	store := notes.NewStore()
	api := notes.NewAPI(store)
	router.GET("/notes", api.List)
	router.GET("/notes/:id", api.Get)
	router.POST("/notes", api.Create)

	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	log.Printf("[[ .AppName ]] listening on %s", addr)
	if err := router.Run(addr); err != nil {
		log.Fatal(err)
	}
}
