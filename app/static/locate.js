// Fills the phone's position into the worklist form; the page works without it.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { if (button) { button.hidden = true; } return; }
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("locate-form").submit();
    });
  });
});
