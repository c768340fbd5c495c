# Multi-stage build of the one Prasar binary with the SPA embedded.
#   docker build -t prasar .

FROM node:20-bookworm AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=frontend /src/frontend/dist ./frontend/dist
RUN CGO_ENABLED=0 go build -trimpath -tags embedui -ldflags="-s -w" -o /out/prasar ./cmd/prasar

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/prasar /usr/local/bin/prasar
USER nonroot:nonroot
VOLUME ["/var/lib/prasar"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/prasar"]
CMD ["serve"]
